/* rk-error.c - error names and the per-thread detail of the last failure. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "rk-error.h"

static _Thread_local char errmsg[256];

static const char *const error_names[RK_ERROR_COUNT] = {
	[RK_OK] = "success",
	[RK_ENOTFOUND] = "kernel not found",
	[RK_ESTATE] = "illegal state transition",
	[RK_EFULL] = "queue full",
	[RK_ETIMEDOUT] = "timed out",
	[RK_EINVAL] = "invalid argument",
	[RK_ESCHEMA] = "message does not fit",
	[RK_EPLUGIN] = "plugin failure",
	[RK_EBACKEND] = "backend unavailable",
	[RK_ENOMEM] = "out of memory",
	[RK_ENODATA] = "telemetry disabled",
	[RK_EKERNEL] = "kernel failed on a message",
	[RK_EEND] = "end of input",
	[RK_ECONFIG] = "bad topology or configuration",
};

static const char *const state_names[] = {
	[RK_STATE_LAUNCHED] = "LAUNCHED",
	[RK_STATE_ACTIVE] = "ACTIVE",
	[RK_STATE_DEACTIVATED] = "DEACTIVATED",
	[RK_STATE_TERMINATING] = "TERMINATING",
	[RK_STATE_TERMINATED] = "TERMINATED",
	[RK_STATE_FAILED] = "FAILED",
};

const char *rk_strerror(rk_error err)
{
	if ((unsigned)err >= RK_ERROR_COUNT)
		return "unknown error";
	return error_names[err];
}

const char *rk_state_name(rk_state state)
{
	if ((unsigned)state > RK_STATE_FAILED)
		return "UNKNOWN";
	return state_names[state];
}

const char *rk_backend_name(rk_backend backend)
{
	switch (backend) {
	case RK_BACKEND_AUTO: return "auto";
	case RK_BACKEND_CPU: return "cpu";
	case RK_BACKEND_CUDA: return "cuda";
	}
	return "unknown";
}

const char *rk_version(void)
{
	return PACKAGE_VERSION;
}

const char *rk_errmsg(void)
{
	return errmsg;
}

rk_error rk_fail(rk_error err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return err;
}

rk_error rk_fail_state(const char *op, const char *id, rk_state state)
{
	return rk_fail(RK_ESTATE, "cannot %s kernel '%s' from state '%s'", op,
		       id, rk_state_name(state));
}
