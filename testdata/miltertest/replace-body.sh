#!/bin/sh
# replace-body.sh NEW - write a new message to NEW (%n): the old header
# fields with one more, and a new body
sed '/^$/q' "$SLUICE_MESSAGE" | sed '$d' >"$1"
printf 'X-Rewritten: yes\n\nThe body was replaced.\nSecond line.\n' >>"$1"
exit 0
