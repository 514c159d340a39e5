#!/bin/sh
# macros.sh ARG... - append the arguments and the SLUICE_ variables of
# the envelope to @T@/out/macros
{
	for a in "$@"; do
		printf 'arg=%s\n' "$a"
	done
	printf 'SLUICE_QUEUE_ID=%s\n' "$SLUICE_QUEUE_ID"
	printf 'SLUICE_CLIENT_ADDR=%s\n' "$SLUICE_CLIENT_ADDR"
	printf 'SLUICE_CLIENT_NAME=%s\n' "$SLUICE_CLIENT_NAME"
	printf 'SLUICE_HELO=%s\n' "$SLUICE_HELO"
	printf 'SLUICE_AUTH_USER=%s\n' "$SLUICE_AUTH_USER"
	printf 'SLUICE_SENDER=%s\n' "$SLUICE_SENDER"
	printf 'SLUICE_MAIL_ARGS=%s\n' "$SLUICE_MAIL_ARGS"
	printf 'SLUICE_RECIPIENTS=%s\n' "$SLUICE_RECIPIENTS"
	printf 'SLUICE_RULE=%s\n' "$SLUICE_RULE"
	printf 'SLUICE_FILTER=%s\n' "$SLUICE_FILTER"
} >>@T@/out/macros
exit 0
