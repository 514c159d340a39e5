/*
 * schema_keys.c - print every config key of the schema, one per line
 *
 * Used by "make check" to compare the schema with sluice.conf(5).
 */
#include "config/config.h"

int
main(void)
{
	config_schema_print();
	return 0;
}
