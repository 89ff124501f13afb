/* doubler-demo.c - the reference example through the C API: launch a
 * doubler kernel, activate it, send numbers, receive the doubles,
 * pause and resume it, print its telemetry, terminate. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ringkernel.h>

/* {"value": int64} -> {"result": int64}, as raw int64 for now. */
static int double_value(rk_ctx *ctx, const rk_msg *msg)
{
	int64_t v, r;

	memcpy(&v, msg->data, sizeof(v));
	if (__builtin_mul_overflow(v, 2, &r)) {
		rk_ctx_error(ctx, "%" PRId64 " doubled overflows", v);
		return 1;
	}
	return rk_ctx_emit(ctx, &r, sizeof(r));
}

static const rk_kernel_desc doubler = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "doubler",
	.description = "doubles an int64",
	.process = double_value,
};

static int check(rk_error rc, const char *what)
{
	if (rc != RK_OK)
		fprintf(stderr, "doubler-demo: %s: %s\n", what, rk_errmsg());
	return rc != RK_OK;
}

int main(void)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;
	rk_telemetry t;
	int64_t v, r;
	size_t len;

	o.telemetry = 1;
	if (check(rk_runtime_new(&o, &rt), "runtime")
	    || check(rk_launch(rt, "doubler", &doubler, NULL), "launch")
	    || check(rk_activate(rt, "doubler"), "activate"))
		return 1;
	for (v = 1; v <= 5; v++) {
		if (check(rk_send(rt, "doubler", &v, sizeof(v), 1.0), "send")
		    || check(rk_receive(rt, "doubler", &r, sizeof(r), &len, 1.0),
			     "receive"))
			return 1;
		printf("{\"value\":%" PRId64 "} -> {\"result\":%" PRId64 "}\n",
		       v, r);
	}
	/* Messages sent while deactivated wait and are processed, in
	 * order, after reactivate. */
	rk_deactivate(rt, "doubler");
	for (v = 6; v <= 8; v++)
		rk_send(rt, "doubler", &v, sizeof(v), 1.0);
	printf("deactivated, 3 queued; reactivating\n");
	rk_reactivate(rt, "doubler");
	for (v = 6; v <= 8; v++) {
		if (check(rk_receive(rt, "doubler", &r, sizeof(r), &len, 1.0),
			  "receive"))
			return 1;
		printf("{\"value\":%" PRId64 "} -> {\"result\":%" PRId64 "}\n",
		       v, r);
	}
	rk_deactivate(rt, "doubler");
	if (check(rk_get_telemetry(rt, "doubler", &t), "telemetry"))
		return 1;
	printf("messages_processed=%" PRIu64 " errors=%" PRIu64
	       " latency_p50_ns=%" PRIu64 " state=%s\n", t.messages_processed,
	       t.errors, t.latency_p50_ns, rk_state_name(t.state));
	if (check(rk_terminate(rt, "doubler", 1.0), "terminate"))
		return 1;
	rk_runtime_free(rt);
	return 0;
}
