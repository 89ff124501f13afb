/* test-code-trust.c - the walk that decides whether a file's code may
 * be loaded: every directory from / checked, symbolic links followed
 * only where their owner is trusted, the canonical path it ends on
 * equal to realpath()'s (random trees, seed printed), and the file
 * loaded through the very descriptor that was checked. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <ringkernel.h>
#include "code-trust.h"

static char top[64];           /* a fresh directory under /tmp */

static int make_top(void **unused)
{
	(void)unused;
	snprintf(top, sizeof(top), "/tmp/rk-trust.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	return chmod(top, 0755);
}

static int remove_top(void **unused)
{
	char cmd[PATH_MAX + 16];

	(void)unused;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* top/rel, made with the given mode (a directory when dir). */
static const char *make(const char *rel, mode_t mode, bool dir)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (dir) {
		assert_int_equal(mkdir(path, 0700), 0);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* top/rel; four at a time can be used in one call. */
static const char *at(const char *rel)
{
	static char paths[4][PATH_MAX];
	static unsigned next;
	char *path = paths[next++ % 4];

	snprintf(path, PATH_MAX, "%s/%s", top, rel);
	return path;
}

/* The check's verdict, and its canonical path beside realpath's. */
static rk_error check(const char *path, char **canonical)
{
	*canonical = NULL;
	return rk_check_trusted(path, RK_EPLUGIN, canonical);
}

static void test_dot_dotdot_and_relative(void **unused)
{
	char *canon, cwd[PATH_MAX], want[PATH_MAX];

	(void)unused;
	make("a", 0755, true);
	make("a/b", 0755, true);
	make("a/f.so", 0644, false);
	assert_int_equal(check(at("a/./b/../f.so"), &canon), RK_OK);
	assert_string_equal(canon, at("a/f.so"));
	free(canon);
	/* Relative: the working directory's path is walked too. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(at("a/b")), 0);
	assert_int_equal(check("../f.so", &canon), RK_OK);
	snprintf(want, sizeof(want), "%s", at("a/f.so"));
	assert_string_equal(canon, want);
	free(canon);
	assert_int_equal(chdir(cwd), 0);
	/* "/.." is "/". */
	snprintf(want, sizeof(want), "/../../..%s", at("a/f.so"));
	assert_int_equal(check(want, &canon), RK_OK);
	assert_string_equal(canon, at("a/f.so"));
	free(canon);
}

static void test_what_is_not_a_file(void **unused)
{
	char *canon;
	char path[PATH_MAX];

	(void)unused;
	make("d", 0755, true);
	make("d/f.so", 0644, false);
	assert_int_equal(mkfifo(at("d/fifo.so"), 0644), 0);
	/* A FIFO is refused without being opened (no wait for a writer). */
	assert_int_equal(check(at("d/fifo.so"), &canon), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "is not a regular file"));
	assert_int_equal(check(at("d"), &canon), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "is not a regular file"));
	snprintf(path, sizeof(path), "%s/", at("d/f.so"));
	assert_int_equal(check(path, &canon), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), strerror(ENOTDIR)));
	assert_int_equal(check(at("d/missing.so"), &canon), RK_ENOTFOUND);
	snprintf(path, sizeof(path), "%s: %s", at("d/missing.so"),
		 strerror(ENOENT));
	assert_string_equal(rk_errmsg(), path);
	assert_int_equal(check("", &canon), RK_EPLUGIN);
	assert_null(canon);
}

static void test_modes_along_the_path(void **unused)
{
	char *canon;
	char want[PATH_MAX * 2];

	(void)unused;
	make("m", 0755, true);
	make("m/open", 0777, true);
	make("m/open/deep", 0755, true);
	make("m/open/deep/p.so", 0644, false);
	/* An ancestor, not the file's own directory, others can write. */
	assert_int_equal(check(at("m/open/deep/p.so"), &canon), RK_EPLUGIN);
	snprintf(want, sizeof(want), "%s: refused: %s is writable by others "
		 "and not sticky (mode 0777)", at("m/open/deep/p.so"),
		 at("m/open"));
	assert_string_equal(rk_errmsg(), want);
	/* Sticky: others cannot rename what is ours in it. */
	assert_int_equal(chmod(at("m/open"), 01777), 0);
	assert_int_equal(check(at("m/open/deep/p.so"), &canon), RK_OK);
	free(canon);
	assert_int_equal(chmod(at("m/open"), 0775), 0);
	assert_int_equal(check(at("m/open/deep/p.so"), &canon), RK_EPLUGIN);
	assert_int_equal(chmod(at("m/open"), 0755), 0);
	/* The file: writable by group or others is refused, sticky or not. */
	assert_int_equal(chmod(at("m/open/deep/p.so"), 0664), 0);
	assert_int_equal(check(at("m/open/deep/p.so"), &canon), RK_EPLUGIN);
	snprintf(want, sizeof(want), "%s: refused: %s is writable by others "
		 "(mode 0664)", at("m/open/deep/p.so"), at("m/open/deep/p.so"));
	assert_string_equal(rk_errmsg(), want);
	assert_int_equal(chmod(at("m/open/deep/p.so"), 0644), 0);
	assert_int_equal(check(at("m/open/deep/p.so"), &canon), RK_OK);
	free(canon);
}

static void test_links(void **unused)
{
	char *canon;

	(void)unused;
	make("l", 0755, true);
	make("l/real", 0755, true);
	make("l/real/p.so", 0644, false);
	make("l/open", 0777, true);
	make("l/open/q.so", 0644, false);
	assert_int_equal(symlink("real/p.so", at("l/rel.so")), 0);
	assert_int_equal(symlink(at("l/real"), at("l/abs")), 0);
	assert_int_equal(symlink("abs/../real/./p.so", at("l/chain.so")), 0);
	assert_int_equal(check(at("l/rel.so"), &canon), RK_OK);
	assert_string_equal(canon, at("l/real/p.so"));
	free(canon);
	assert_int_equal(check(at("l/abs/p.so"), &canon), RK_OK);
	assert_string_equal(canon, at("l/real/p.so"));
	free(canon);
	/* ".." after a link is the link target's parent, as the kernel does. */
	assert_int_equal(check(at("l/chain.so"), &canon), RK_OK);
	assert_string_equal(canon, at("l/real/p.so"));
	free(canon);
	/* A link into a directory others can write: its target is walked
	 * and refused there. */
	assert_int_equal(symlink("open/q.so", at("l/to-open.so")), 0);
	assert_int_equal(check(at("l/to-open.so"), &canon), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "l/open is writable by others"));
	/* Loops end. */
	assert_int_equal(symlink("loop-b.so", at("l/loop-a.so")), 0);
	assert_int_equal(symlink("loop-a.so", at("l/loop-b.so")), 0);
	assert_int_equal(check(at("l/loop-a.so"), &canon), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), strerror(ELOOP)));
}

/* A plugin file of the build's test plugins. */
static const char *test_plugin(const char *file)
{
	static char path[PATH_MAX];
	const char *dir = getenv("TEST_PLUGINS");

	snprintf(path, sizeof(path), "%s/%s",
		 dir ? dir : "tests/plugins/.libs", file);
	return path;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[3 * PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 644 '%s'", from, to,
		 to);
	assert_int_equal(system(cmd), 0);
}

static void test_load_through_the_checked_descriptor(void **unused)
{
	void *a, *a_again, *b;
	char *canon;

	(void)unused;
	make("load", 0755, true);
	copy_file(test_plugin("two-kernels.so"), at("load/a.so"));
	copy_file(test_plugin("failing-init.so"), at("load/b.so"));
	assert_int_equal(symlink("a.so", at("load/link-to-a.so")), 0);
	assert_int_equal(rk_dlopen_trusted(at("load/a.so"), RTLD_NOW |
					   RTLD_LOCAL, RK_EPLUGIN, &a, &canon),
			 RK_OK);
	assert_string_equal(canon, at("load/a.so"));
	free(canon);
	assert_int_equal(rk_dlopen_trusted(at("load/b.so"), RTLD_NOW |
					   RTLD_LOCAL, RK_EPLUGIN, &b, NULL),
			 RK_OK);
	/* The same file by another name is the same object; another file
	 * is another, though both were loaded through /proc/self/fd. */
	assert_int_equal(rk_dlopen_trusted(at("load/link-to-a.so"),
					   RTLD_NOW | RTLD_LOCAL, RK_EPLUGIN,
					   &a_again, NULL), RK_OK);
	assert_ptr_equal(a, a_again);
	assert_ptr_not_equal(a, b);
	const rk_plugin *pa = dlsym(a, RK_PLUGIN_SYMBOL);
	const rk_plugin *pb = dlsym(b, RK_PLUGIN_SYMBOL);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_string_equal(pa->kernels[0]->name, "first");
	assert_string_equal(pb->kernels[0]->name, "needs_device");
	/* Not a shared object: dlopen's words, naming the file, not the
	 * descriptor. */
	make("load/text.so", 0644, false);
	assert_int_equal(rk_dlopen_trusted(at("load/text.so"), RTLD_NOW,
					   RK_EPLUGIN, &b, NULL), RK_EPLUGIN);
	assert_null(b);
	assert_non_null(strstr(rk_errmsg(), at("load/text.so")));
	assert_null(strstr(rk_errmsg(), "/proc/self/fd"));
}

/* Descriptors this process holds on `path`; with `close_them`, closed
 * as a daemon's close_range would. */
static int descriptors_on(const char *path, bool close_them)
{
	int found = 0;

	for (int fd = 3; fd < 1024; fd++) {
		char link[64], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0 && (!close_them || close(fd) == 0))
			found++;
	}
	return found;
}

static int close_behind_its_back(const char *path)
{
	return descriptors_on(path, true);
}

/* A file loaded, closed, rebuilt (a new file by the same name) and
 * loaded again, over and over: no descriptor is left behind, nor by a
 * load that fails. */
static void test_descriptors_do_not_pile_up(void **unused)
{
	char tmp[PATH_MAX];
	void *h, *h2;

	(void)unused;
	make("rebuilt", 0755, true);
	snprintf(tmp, sizeof(tmp), "%s", at("rebuilt/new.so"));
	for (int i = 0; i < 300; i++) {
		copy_file(test_plugin("two-kernels.so"), tmp);
		assert_int_equal(rename(tmp, at("rebuilt/p.so")), 0);
		assert_int_equal(rk_dlopen_trusted(at("rebuilt/p.so"),
						   RTLD_NOW | RTLD_LOCAL,
						   RK_EPLUGIN, &h, NULL), RK_OK);
		assert_int_equal(rk_dlopen_trusted(at("rebuilt/p.so"),
						   RTLD_NOW | RTLD_LOCAL,
						   RK_EPLUGIN, &h2, NULL), RK_OK);
		assert_ptr_equal(h, h2);
		rk_dlclose_trusted(h2);
		/* Still loaded once: its descriptor stays. */
		assert_int_equal(descriptors_on(at("rebuilt/p.so"), false), 1);
		rk_dlclose_trusted(h);
		assert_int_equal(descriptors_on(at("rebuilt/p.so"), false), 0);
	}
	make("rebuilt/text.so", 0644, false);
	assert_int_equal(rk_dlopen_trusted(at("rebuilt/text.so"), RTLD_NOW,
					   RK_EPLUGIN, &h, NULL), RK_EPLUGIN);
	assert_int_equal(descriptors_on(at("rebuilt/text.so"), false), 0);
}

static void test_a_kept_descriptor_closed_by_others(void **unused)
{
	void *c, *d, *c_again;

	(void)unused;
	make("closed", 0755, true);
	copy_file(test_plugin("two-kernels.so"), at("closed/c.so"));
	copy_file(test_plugin("failing-init.so"), at("closed/d.so"));
	assert_int_equal(rk_dlopen_trusted(at("closed/c.so"), RTLD_NOW |
					   RTLD_LOCAL, RK_EPLUGIN, &c, NULL),
			 RK_OK);
	assert_int_equal(close_behind_its_back(at("closed/c.so")), 1);
	/* The next file opened takes the number c.so was loaded by: it
	 * must still be d.so that is loaded, not c.so again. */
	assert_int_equal(rk_dlopen_trusted(at("closed/d.so"), RTLD_NOW |
					   RTLD_LOCAL, RK_EPLUGIN, &d, NULL),
			 RK_OK);
	assert_ptr_not_equal(c, d);
	const rk_plugin *pd = dlsym(d, RK_PLUGIN_SYMBOL);
	assert_non_null(pd);
	assert_string_equal(pd->kernels[0]->name, "needs_device");
	/* And c.so again is c.so, by a name of its own. */
	assert_int_equal(rk_dlopen_trusted(at("closed/c.so"), RTLD_NOW |
					   RTLD_LOCAL, RK_EPLUGIN, &c_again,
					   NULL), RK_OK);
	assert_ptr_equal(c, c_again);
}

/* Every module's table starts with its version and size: one check. */
static void test_module_tables(void **unused)
{
	const void *table;
	void *h;

	(void)unused;
	make("tables", 0755, true);
	copy_file(test_plugin("two-kernels.so"), at("tables/p.so"));
	assert_int_equal(rk_module_open(at("tables/p.so"), RTLD_NOW, &h),
			 RK_OK);
	assert_int_equal(rk_module_table(h, "p.so", "a ringctl plugin",
					 RK_PLUGIN_SYMBOL, RK_PLUGIN_ABI_VERSION,
					 16, &table), RK_OK);
	assert_non_null(table);
	assert_int_equal(rk_module_table(h, "p.so", "a ringctl plugin",
					 RK_PLUGIN_SYMBOL, 7, 16, &table),
			 RK_EPLUGIN);
	assert_null(table);
	assert_string_equal(rk_errmsg(), "p.so: a ringctl plugin of ABI "
			    "version 1, expected 7");
	assert_int_equal(rk_module_table(h, "p.so", "a ringctl plugin",
					 RK_PLUGIN_SYMBOL,
					 RK_PLUGIN_ABI_VERSION, 4096, &table),
			 RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "smaller than any release's"));
	assert_int_equal(rk_module_table(h, "p.so", "a CUDA backend",
					 "rk_cuda_backend", 3, 16, &table),
			 RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "p.so: not a CUDA backend (no "
			    "rk_cuda_backend symbol)");
	rk_module_close(h);
}

/* Random trees of directories, files and links (relative, absolute,
 * dangling, looping), random paths through them: the walk accepts
 * exactly the paths realpath() resolves to a regular file, and ends
 * on the same path. */
static void test_random_trees_agree_with_realpath(void **unused)
{
	const char *env = getenv("RK_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10)
			    : (unsigned)time(NULL);
	char base[PATH_MAX], names[64][PATH_MAX];
	size_t n = 0;
	int agreed = 0;

	(void)unused;
	printf("# seed %u (RK_SEED=%u to repeat)\n", seed, seed);
	srand(seed);
	snprintf(base, sizeof(base), "%s", make("rand", 0755, true));
	snprintf(names[n++], PATH_MAX, "%s", base);
	for (int i = 0; i < 60 && n < 64; i++) {
		const char *parent = names[rand() % n];
		char path[PATH_MAX];
		struct stat st;
		if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "%s/n%d%s", parent, i,
			 rand() % 3 == 0 ? ".so" : "");
		int kind = rand() % 4;
		if (kind == 0) {
			assert_int_equal(mkdir(path, 0755), 0);
		} else if (kind == 1) {
			int fd = open(path, O_WRONLY | O_CREAT, 0644);
			assert_true(fd >= 0);
			close(fd);
		} else {
			/* A link to anything seen so far, maybe by "..". */
			const char *to = names[rand() % n];
			char target[PATH_MAX];
			if (kind == 2)
				snprintf(target, sizeof(target), "%s", to);
			else
				snprintf(target, sizeof(target), "../%s/..%s",
					 rand() % 2 ? "." : "n0",
					 to + strlen(top));
			assert_int_equal(symlink(target, path), 0);
		}
		snprintf(names[n++], PATH_MAX, "%s", path);
	}
	for (int t = 0; t < 400; t++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s", names[rand() % n]);
		for (int extra = rand() % 3; extra > 0; extra--) {
			static const char *const tails[] = { "/.", "/..",
				"/n1", "/n3.so", "//" };
			size_t used = strlen(path);
			snprintf(path + used, sizeof(path) - used, "%s",
				 tails[rand() % 5]);
		}
		char *real = realpath(path, NULL), *canon = NULL;
		struct stat st;
		bool want = real && stat(real, &st) == 0 && S_ISREG(st.st_mode);
		rk_error rc = check(path, &canon);
		if (want != (rc == RK_OK))
			fail_msg("seed %u: %s: realpath %s, walk %s (%s)", seed,
				 path, real ? real : "fails",
				 rc == RK_OK ? "accepts" : "refuses",
				 rc == RK_OK ? canon : rk_errmsg());
		if (want && strcmp(real, canon) != 0)
			fail_msg("seed %u: %s: realpath %s, walk %s", seed, path,
				 real, canon);
		agreed += want;
		free(real);
		free(canon);
	}
	printf("# %d paths to files agreed\n", agreed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot_dotdot_and_relative),
		cmocka_unit_test(test_what_is_not_a_file),
		cmocka_unit_test(test_modes_along_the_path),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_load_through_the_checked_descriptor),
		cmocka_unit_test(test_a_kept_descriptor_closed_by_others),
		cmocka_unit_test(test_descriptors_do_not_pile_up),
		cmocka_unit_test(test_module_tables),
		cmocka_unit_test(test_random_trees_agree_with_realpath),
	};
	return cmocka_run_group_tests(tests, make_top, remove_top);
}
