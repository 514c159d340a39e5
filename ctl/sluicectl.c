/*
 * sluicectl.c - the control client: command dispatch
 *
 * "try" and "scan" run the daemon's engine offline, on files, with the
 * same config and the same runner; status, filters, metrics, enable,
 * disable, reset, reload and log talk to a running sluiced over its control socket
 * (ctl_daemon.c).
 * SECURITY: runs with the invoking user's rights; filters it starts run
 * as that user too.  Message files are read, never modified.
 * ERRORS: messages to stderr; exit statuses as in sluicectl(8).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "lib/log.h"

/* usage - the synopsis */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: sluicectl try [-v] [-c conf] [-O key=value] [-f sender] "
	    "[-r rcpt]...\n"
	    "                     [--client addr] [--client-name name] "
	    "[--helo name]\n"
	    "                     [--auth user] [-q queue-id] [-o out] "
	    "file|-\n"
	    "       sluicectl scan [-v] [-c conf] [-O key=value] [-j jobs] "
	    "[-f sender]\n"
	    "                      [-r rcpt]... path...\n"
	    "       sluicectl status|metrics [--json] [-s socket | -c conf]\n"
	    "       sluicectl filters [NAME] [--json] [-s socket | -c conf]\n"
	    "       sluicectl enable|disable|reset NAME [--json] "
	    "[-s socket | -c conf]\n"
	    "       sluicectl reload [--json] [-s socket | -c conf]\n"
	    "       sluicectl log [--since T] [--verdict V] [--sender RE] "
	    "[--recipient RE]\n"
	    "                     [--limit N] [--json] [-s socket | -c conf]\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	log_init("sluicectl", LOG_DEST_NONE, 0);
	if (strcmp(argv[1], "try") == 0)
		return ctl_try(argc - 1, argv + 1);
	if (strcmp(argv[1], "scan") == 0)
		return ctl_scan(argc - 1, argv + 1);
	if (ctl_is_daemon_cmd(argv[1]))
		return ctl_daemon(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "sluicectl: unknown command \"%s\"\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
