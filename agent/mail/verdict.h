/*
 * verdict.h - what a filter run, a rule and a message end in
 */
#ifndef SLUICE_VERDICT_H
#define SLUICE_VERDICT_H

enum verdict {
	V_CONTINUE = 0,	/* go on with the next rule */
	V_ACCEPT,	/* final: deliver now, skip remaining rules */
	V_REJECT,	/* final: 5xx */
	V_TEMPFAIL,	/* final: 4xx */
	V_DISCARD,	/* final: accept and drop silently */
	V_QUARANTINE,	/* final: hold the message */
	V_ERROR,	/* not a verdict: the filter failed (on_error decides) */
	V_COUNT
};

const char	*verdict_name(enum verdict);
/* verdict_parse - name to verdict; -1 if unknown (V_ERROR is not parsed) */
int		 verdict_parse(const char *);
int		 verdict_is_final(enum verdict);

#endif
