/* marker.c - a plugin that says it was loaded: its constructor appends
 * a line to the file $RK_TEST_MARKER names.  The attack tests plant it
 * where another user's code would be, to see whether it ever runs. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <ringkernel-plugin.h>

__attribute__((constructor)) static void mark(void)
{
	const char *path = getenv("RK_TEST_MARKER");
	int fd;

	if (path && (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			       0644)) >= 0) {
		(void)!write(fd, "ran\n", 4);
		close(fd);
	}
}

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc k = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "marked",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
};

static const rk_kernel_desc *const kernels[] = { &k, NULL };
RK_PLUGIN("marker", "a plugin whose loading leaves a mark", kernels);
