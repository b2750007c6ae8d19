/* Test plugin: a shared object without the entry symbol; must be refused. */
int casevault_not_the_entry(void);
int casevault_not_the_entry(void)
{
	return 0;
}
