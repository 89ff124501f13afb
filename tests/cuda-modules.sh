#!/bin/sh
# cuda-modules.sh - nvcc compiled the CUDA backend and the kernels' GPU
# forms for sm_80 and sm_90; they export what the runtime looks up, and
# libringkernel itself does not link CUDA.
if [ ! -f "$top_builddir/lib/rk-cuda.so" ]; then
	echo "# the CUDA backend is not built (no nvcc at configure time)"
	exit 77
fi
# cuobjdump lists a module's cubins; without it, each cubin still
# carries the options ptxas built it with.
cuobjdump=${CUDA_HOME:+$CUDA_HOME/bin/}cuobjdump
has_arch() {
	if command -v "$cuobjdump" >/dev/null 2>&1; then
		"$cuobjdump" --list-elf "$1" | grep -q "$2"
	else
		strings -a "$1" | grep -q -- "-arch $2 "
	fi
}
n=0 failed=0
check() {
	n=$((n + 1))
	if eval "$2" >/dev/null 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=1
	fi
}
echo 1..11
for m in lib/rk-cuda.so kernels/doubler-cuda.so kernels/vector-cuda.so; do
	f=$top_builddir/$m
	check "$m exists" "test -s '$f'"
done
for m in kernels/doubler-cuda.so kernels/vector-cuda.so; do
	f=$top_builddir/$m
	check "$m has sm_80 code" "has_arch '$f' sm_80"
	check "$m has sm_90 code" "has_arch '$f' sm_90"
done
check "rk-cuda.so exports its table" \
	"nm -D '$top_builddir/lib/rk-cuda.so' | grep -q ' rk_cuda_backend\$'"
check "doubler-cuda.so exports rk_cuda_doubler" \
	"nm -D '$top_builddir/kernels/doubler-cuda.so' | grep -q ' rk_cuda_doubler\$'"
check "vector-cuda.so exports scale and saxpy" \
	"nm -D '$top_builddir/kernels/vector-cuda.so' | grep -q ' rk_cuda_saxpy\$' && nm -D '$top_builddir/kernels/vector-cuda.so' | grep -q ' rk_cuda_scale\$'"
check "libringkernel does not link CUDA" \
	"! readelf -d '$top_builddir/lib/.libs/libringkernel.so' | grep -qi cuda"
exit $failed
