/* replay.c - runs a fuzz target over files and directories of inputs
 * (the corpus), without libFuzzer: how `make check` replays the corpora
 * in every build, sanitizers included.  With no arguments it replays
 * the target's corpus (CORPUS, compiled in).  Speaks TAP: one test, ok
 * with the count; a failing input aborts, which the driver reports. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
	size_t got = fread(data, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, got);
	free(data);
	return 1;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	struct dirent *e;
	int count = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		int n = run_path(sub);
		if (n < 0) {
			closedir(d);
			return -1;
		}
		count += n;
	}
	if (d)
		closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	char *corpus[] = { argv[0], (char *)CORPUS };
	int total = 0;

	if (argc < 2) {
		argc = 2;
		argv = corpus;
	}
	printf("1..1\n");
	fflush(stdout);
	for (int i = 1; i < argc; i++) {
		int n = run_path(argv[i]);
		if (n < 0) {
			printf("not ok 1 - %s: cannot read\n", argv[i]);
			return 1;
		}
		total += n;
	}
	printf("ok 1 - %d inputs of %s, no failure\n", total, argv[1]);
	return 0;
}
