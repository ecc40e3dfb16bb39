# Independent reference for `connrate flows`: computes the outbound flow table from tshark's own
# per-packet export (tcp.stream, tcp.flags), so connrate's stream tracking and close detection
# are checked against tshark's, not against themselves.
# usage: awk -F'\t' -v id=MACHINE -v local4=IP -v local6=IP -f flows_from_tshark.awk X.tshark.tsv
function hex(s,    i, v, c) {
    v = 0; s = tolower(substr(s, 3))
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v
}
function band(a, b,    r, bit) {
    r = 0; bit = 1
    while (a > 0 && b > 0) { if (a % 2 == 1 && b % 2 == 1) r += bit; a = int(a / 2); b = int(b / 2); bit *= 2 }
    return r
}
function ms(t,    p, frac) {
    p = index(t, "."); if (p == 0) return t * 1000
    frac = substr(t, p + 1) "000"
    return substr(t, 1, p - 1) substr(frac, 1, 3)
}
function islocal(a) { return a == local4 || a == local6 }
NR == 1 { next }
{
    t = ms($2); v = $3
    src = $4 != "" ? $4 : $5; dst = $6 != "" ? $6 : $7
    if ($8 != "") {
        s = $12; f = hex($13)
        if (!(s in n)) {
            order[++ns] = s
            if (band(f, 18) == 18) { a[s] = dst; pa[s] = $10; b[s] = src; pb[s] = $8 }
            else { a[s] = src; pa[s] = $8; b[s] = dst; pb[s] = $10 }
            ver[s] = v; first[s] = t; last[s] = t; endt[s] = ""; why[s] = "open"
        }
        n[s]++
        if (t + 0 < first[s] + 0) first[s] = t
        if (t + 0 > last[s] + 0) last[s] = t
        if (endt[s] == "" && (band(f, 17) == 17 || band(f, 4) == 4)) {
            endt[s] = t; why[s] = band(f, 4) == 4 ? "rst" : "fin"
        }
    } else if ($9 != "") {
        k = src SUBSEP $9 SUBSEP dst SUBSEP $11
        if (!(k in un)) { uorder[++nu] = k; uver[k] = v; ufirst[k] = t; ulast[k] = t }
        un[k]++
        if (t + 0 < ufirst[k] + 0) ufirst[k] = t
        if (t + 0 > ulast[k] + 0) ulast[k] = t
    }
}
END {
    for (i = 1; i <= ns; i++) {
        s = order[i]
        if (!islocal(a[s])) continue
        print id ",tcp," ver[s] "," a[s] "," pa[s] "," b[s] "," pb[s] "," first[s] "," endt[s] "," last[s] "," why[s] "," n[s]
    }
    for (i = 1; i <= nu; i++) {
        k = uorder[i]; split(k, f4, SUBSEP)
        if (!islocal(f4[1])) continue
        r = f4[3] SUBSEP f4[4] SUBSEP f4[1] SUBSEP f4[2]
        l = ulast[k]; pk = un[k]
        if (r in un && r != k) { if (ulast[r] + 0 > l + 0) l = ulast[r]; pk += un[r] }
        print id ",udp," uver[k] "," f4[1] "," f4[2] "," f4[3] "," f4[4] "," ufirst[k] "," ulast[k] "," l ",udp_last," pk
    }
}
