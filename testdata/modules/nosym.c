/*
 * nosym.c - a test shared object without the sluice_module symbol;
 * sluiced must refuse it at config check.  Never installed.
 */
int	not_a_sluice_module(void);

/* not_a_sluice_module - the only thing exported */
int
not_a_sluice_module(void)
{
	return 42;
}
