/*
 * fuzz_config.c - libFuzzer target for config loading
 *
 * Writes the input to a file and loads it: libconfig parsing, the schema
 * check and the snapshot build must never crash, leak, or accept a
 * config while reporting errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char		 path[64];
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			 dir[] = "/tmp/fuzz-config.XXXXXX";
	char			 ov[] = "include_dir=/nonexistent-fuzz-dir";
	char			*ovs[] = { ov, NULL };
	FILE			*fp;

	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/sluice.conf", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		rmdir(dir);
		return 0;
	}
	fwrite(data, 1, len, fp);
	fclose(fp);
	log_init("fuzz", LOG_DEST_NONE, 0);
	/* a missing include_dir set with -O is an error: load twice, once
	 * with the default include_dir (absent here) */
	c = config_load(path, NULL, &e);
	if ((c == NULL) != (e.n > 0))
		abort();
	config_unref(&c);
	config_errors_free(&e);
	c = config_load(path, ovs, &e);
	if (c != NULL)
		abort();
	config_errors_free(&e);
	unlink(path);
	rmdir(dir);
	return 0;
}
