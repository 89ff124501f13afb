# plots.gp - the figures of bench/RESULTS.md, drawn by bench/run-bench:
#   gnuplot -e "data='DIR'; out='DIR'" bench/plots.gp
# DIR holds rtt-*.dat (fraction ns), size.dat (bytes ring_msgs
# actor_msgs actor_mb) and lines.dat ("tool" lines_per_s).
set terminal pngcairo size 900,560 font ",11" noenhanced
set grid
set key bottom right

# 1. Round trip latency by percentile, on a scale of nines.
set output out.'/rtt-latency.png'
set title 'Actor round trip latency (send one int64, receive the doubled reply)'
set xlabel 'round trip (ns)'
set logscale x
set ylabel 'percentile'
set ytics ('50%%' 0.301, '90%%' 1, '99%%' 2, '99.9%%' 3, '99.99%%' 4)
set yrange [0:4.2]
nines(q) = q < 1 ? -log10(1 - q) : 1/0
plot data.'/rtt-ring.dat' using 2:(nines($1)) with linespoints lw 2 \
	title 'two SPSC rings, no runtime (the floor)', \
     data.'/rtt-actor.dat' using 2:(nines($1)) with linespoints lw 2 \
	title 'libringkernel rk_send / rk_receive', \
     data.'/rtt-pydotcompute.dat' using 2:(nines($1)) with linespoints lw 2 \
	title 'pydotcompute 0.2.0 (uvloop)'

# 2. Throughput by message size.
reset
set terminal pngcairo size 900,560 font ",11" noenhanced
set output out.'/throughput-size.png'
set grid
set key top right
set title 'Throughput by message size (batches, two threads on two cores)'
set xlabel 'message bytes'
set logscale xy
set ylabel 'messages per second'
set y2label 'MB per second (echo actor)'
set y2tics
set logscale y2
set ytics nomirror
plot data.'/size.dat' using 1:2 with linespoints lw 2 \
	title 'SPSC ring alone, publish 64 at a time', \
     data.'/size.dat' using 1:3 with linespoints lw 2 \
	title 'echo actor, rk_send_batch / rk_receive_batch of 256', \
     data.'/size.dat' using 1:4 axes x1y2 with linespoints lw 1 dt 2 \
	title 'echo actor, MB/s (right axis)'

# 3. ringctl run against its peers, lines per second.
reset
set terminal pngcairo size 900,560 font ",11" noenhanced
set output out.'/lines-vs-peers.png'
set title '{"value": N} doubled, 1 JSON line in, 1 out (median lines/s)'
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y
set ylabel 'lines per second (log)'
set grid ytics
set xtics rotate by -20 left
set rmargin 12
set style histogram clustered gap 1
set key off
plot data.'/lines.dat' using 2:xtic(1) lc rgb '#3070b0'
