/* no-table.c - a shared object that is not a plugin: refused. */
int not_a_plugin(void);

int not_a_plugin(void)
{
	return 42;
}
