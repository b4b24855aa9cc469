# plot.awk: the SVG bar chart of bench/ew's and bench/gemm's results,
# dependency-free.
#
#   awk -F, -f bench/plot.awk build/bench/results.csv > build/bench/results.svg
#   awk -F, -f bench/plot.awk build/bench/gemm.csv > build/bench/gemm.svg
#
# Reads the CSV that `ew -o` or `gemm -o` writes (a header line naming the
# columns, then one row per workload, thread count and variant; only the
# columns workload, threads, variant, speed_vs_best_peer and check are
# read) and draws, for every
# workload and thread count, one bar per variant: its speed relative to the
# best peer (the column speed_vs_best_peer; 1 is the fastest peer, higher
# is faster).  Variants that failed their check are drawn as a cross.

NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  if (!("workload" in col) || !("speed_vs_best_peer" in col)) {
    print "plot.awk: not a results CSV of bench/ew or bench/gemm" > "/dev/stderr"
    bad = 1
    exit 1
  }
  next
}

{
  g = $col["workload"] " " $col["threads"] "T"
  if (!(g in gindex)) { gindex[g] = ++ng; gname[ng] = g }
  v = $col["variant"]
  if (!(v in vindex)) { vindex[v] = ++nv; vname[nv] = v }
  if (!((gindex[g], vindex[v]) in val)) gbar[gindex[g], ++nbar[gindex[g]]] = vindex[v]
  val[gindex[g], vindex[v]] = $col["speed_vs_best_peer"] + 0
  ok[gindex[g], vindex[v]] = ($col["check"] == "ok")
  if (val[gindex[g], vindex[v]] > vmax) vmax = val[gindex[g], vindex[v]]
}

# The k-th bar of group gi: a group has a bar for each variant it ran, in
# the CSV's order (gbar[gi, k] is its variant).
function x_of(gi, k) { return gx[gi] + gap / 2 + (k - 1) * barw }
function y_of(v) { return top + plot_h - v / ymax * plot_h }

END {
  if (bad) exit 1
  if (ng == 0) { print "plot.awk: no results" > "/dev/stderr"; exit 1 }
  # Colours of the usual variants, then a grey for anything else.
  colour["hand"] = "#4c72b0"; colour["unfused"] = "#dd8452"
  colour["tensorc"] = "#55a868"
  colour["tc-scalar"] = "#c44e52"; colour["tc-autovec"] = "#8172b3"
  # bench/gemm's peers: OpenBLAS in blues, oneDNN in oranges and reds
  colour["openblas"] = "#4c72b0"; colour["openblas_omp"] = "#8fa8d8"
  colour["openblas+libm"] = "#8fa8d8"; colour["openblas+mvec"] = "#4c72b0"
  colour["dnnl_sgemm"] = "#dd8452"; colour["dnnl_mm"] = "#c44e52"
  colour["dnnl_sgemm+libm"] = "#f0b891"; colour["dnnl_sgemm+mvec"] = "#dd8452"
  colour["dnnl_mm_fused"] = "#c44e52"
  barw = 24; gap = 22
  left = 64; right = 150; top = 48; plot_h = 300; bottom = 56
  # Each group as wide as its bars: workloads need not share variants.
  plot_w = 0
  for (gi = 1; gi <= ng; gi++) {
    gx[gi] = left + plot_w; gw[gi] = nbar[gi] * barw + gap; plot_w += gw[gi]
  }
  width = left + plot_w + right; height = top + plot_h + bottom
  if (width < 720) width = 720  # room for the title with few groups
  # A y range that shows the line at 1 and every bar, in ticks of 0.25,
  # 0.5, 1, 2.5 or 5 (issue 5's bars reach 20x and more).
  ymax = vmax * 1.1 < 1.25 ? 1.25 : vmax * 1.1
  step = ymax <= 2 ? 0.25 : ymax <= 5 ? 0.5 : ymax <= 10 ? 1 : ymax <= 25 ? 2.5 : 5
  ymax = step * int((ymax + step - 1e-9) / step)

  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" ", width, height
  printf "font-family=\"sans-serif\" font-size=\"11\">\n"
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
  printf "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", left
  printf "tensorc and its peers: speed relative to the best peer (higher is faster)</text>\n"
  printf "<text x=\"%d\" y=\"36\" fill=\"#555\">median of repeated runs; ", left
  printf "1 = the fastest peer at that thread count (make bench, bench/README.md)</text>\n"

  for (t = 0; t <= ymax + 1e-9; t += step) {
    y = y_of(t)
    printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, left + plot_w, y, y
    printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%gx</text>\n", left - 6, y + 4, t
  }
  y = y_of(1)
  printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-dasharray=\"4 3\"/>\n", left, left + plot_w, y, y

  for (gi = 1; gi <= ng; gi++) {
    for (k = 1; k <= nbar[gi]; k++) {
      vi = gbar[gi, k]
      x = x_of(gi, k); c = (vname[vi] in colour) ? colour[vname[vi]] : "#999"
      if (!ok[gi, vi]) {
        yb = top + plot_h
        printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#c00\" font-size=\"14\">x</text>\n", x + barw / 2, yb - 4
        continue
      }
      v = val[gi, vi]; y = y_of(v)
      printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.2fx</title></rect>\n", x, y, barw - 2, top + plot_h - y, c, gname[gi], vname[vi], v
      printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"8\">%.2f</text>\n", x + (barw - 2) / 2, y - 3, v
    }
    split(gname[gi], part, " ")
    cx = gx[gi] + gw[gi] / 2
    printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", cx, top + plot_h + 16, part[1]
    printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", cx, top + plot_h + 30, part[2]
  }
  printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>\n", left, left + plot_w, top + plot_h, top + plot_h

  for (vi = 1; vi <= nv; vi++) {
    c = (vname[vi] in colour) ? colour[vname[vi]] : "#999"
    ly = top + 10 + (vi - 1) * 18; lx = left + plot_w + 20
    printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, ly - 10, c
    printf "<text x=\"%d\" y=\"%d\">%s</text>\n", lx + 18, ly, vname[vi]
  }
  print "</svg>"
}
