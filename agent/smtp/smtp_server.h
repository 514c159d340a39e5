/*
 * smtp_server.h - the SMTP/LMTP content-filter front end
 */
#ifndef SLUICE_SMTP_SERVER_H
#define SLUICE_SMTP_SERVER_H

#include <stddef.h>

#include "config/config.h"
#include "lib/listen.h"

/*
 * smtp_server_start - serve ls[i] as the config's smtp_listen[i]: one
 * thread accepts, one thread per connection; each connection takes the
 * holder's snapshot of the moment.  0, or -1 with why.
 */
int	smtp_server_start(struct config_holder *, const struct listener *ls,
	    size_t n, char *why, size_t whylen);
/* smtp_server_quiesce - accept nothing more; idle connections get 421
 * at their next command, transactions in progress finish */
void	smtp_server_quiesce(void);
/* smtp_server_sessions - connections still open */
int	smtp_server_sessions(void);

#endif
