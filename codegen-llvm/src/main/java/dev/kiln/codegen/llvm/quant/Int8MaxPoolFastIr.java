package dev.kiln.codegen.llvm.quant;

/**
 * The fast form of {@code kiln_q8_maxpool} ({@link Int8PoolIr} calls it for horizontal dilation 1, horizontal stride 1
 * or 2 and {@code w <= 2 ow}, whose row fits the thread's scratch, unless {@code -Dkiln.llvm.int8.fastMaxPool=false}),
 * on bytes (i8 or u8 max, no widening): per output row, the vertical max of the input rows inside the input (others
 * skipped) into a w-byte scratch row, then the horizontal max of its kw taps per output column: 16 columns at a time
 * where every tap is inside the row ({@code <16 x i8>} loads; stride 2 a 32-byte load and its odd lanes), the rest
 * column by column with the taps outside skipped. A column without a valid tap, or a row without a valid input row,
 * gets 0, the low byte of the reference's empty max.
 */
final class Int8MaxPoolFastIr {
  private Int8MaxPoolFastIr() {}

  /** Whether {@link Int8PoolIr} dispatches to these functions ({@code -Dkiln.llvm.int8.fastMaxPool}). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.int8.fastMaxPool")); }

  /** {@code @kiln_q8_maxpool_f<s|u><1|2>(x, out, lo, hi, h, w, oh, ow, kh, kw, sh, ph, pw, dh, row)}: planes
   * [lo, hi); {@code row} is w bytes of scratch. */
  static String functions() {
    return function(true, 1) + function(true, 2) + function(false, 1) + function(false, 2);
  }

  static String name(boolean signed, int stride) { return "@kiln_q8_maxpool_f" + (signed ? "s" : "u") + stride; }

  private static String function(boolean signed, int s) {
    String load = s == 1
        ? "  %lo = load <16 x i8>, ptr %lp, align 1\n"
        : "  %lw = load <32 x i8>, ptr %lp, align 1\n"
          + "  %lo = shufflevector <32 x i8> %lw, <32 x i8> poison, <16 x i32> " + oddLanes() + "\n";
    String body = """
        define internal void NAME(ptr noalias %x, ptr noalias %out, i64 %lo0, i64 %hi0, i64 %h, i64 %w, i64 %oh, i64 %ow, i64 %kh, i64 %kw, i64 %sh, i64 %ph, i64 %pw, i64 %dh, ptr noalias %V) nounwind {
        entry:
          %plane = mul i64 %h, %w
          %oplane = mul i64 %oh, %ow
          ; vector columns [ja, jb): j*S - pw + t inside the row for every tap t (stride 2: and the byte before it)
          %ja0 = add i64 %pw, SM2
          %ja = udiv i64 %ja0, S
          %wp = add i64 %w, %pw
          %r = sub i64 %wp, %kw
          %rneg = icmp slt i64 %r, 0
          %jb0 = sdiv i64 %r, S
          %jb1 = add i64 %jb0, 1
          %jb2 = select i1 %rneg, i64 0, i64 %jb1
          %jbs = icmp slt i64 %jb2, %ow
          %jb = select i1 %jbs, i64 %jb2, i64 %ow
          %vn = sub i64 %jb, %ja
          %vok = icmp sge i64 %vn, 16
          %vs = select i1 %vok, i64 %ja, i64 0
          %ve = select i1 %vok, i64 %jb, i64 0
          %vlast = sub i64 %ve, 16
          %dh1 = sub i64 %dh, 1
          %dhone = icmp eq i64 %dh, 1
          %rstep = mul i64 %dh, %w
          %wide = icmp uge i64 %w, 32
          %wlast = sub i64 %w, 32
          br label %pl
        pl:
          %c = phi i64 [ %lo0, %entry ], [ %c1, %rownext ]
          %xc0 = mul i64 %c, %plane
          %xc = getelementptr i8, ptr %x, i64 %xc0
          %oc0 = mul i64 %c, %oplane
          %oc = getelementptr i8, ptr %out, i64 %oc0
          br label %row
        row:
          %i = phi i64 [ 0, %pl ], [ %i1, %rownext ]
          %oo = mul i64 %i, %ow
          %orow = getelementptr i8, ptr %oc, i64 %oo
          ; the taps u in [ua, ub) are the rows inside the input
          %y0a = mul i64 %i, %sh
          %y0 = sub i64 %y0a, %ph
          %ny0 = sub i64 0, %y0
          %yneg = icmp sgt i64 %ny0, 0
          %hy = sub i64 %h, %y0
          %hpos = icmp sgt i64 %hy, 0
          br i1 %dhone, label %rq1, label %rqd
        rq1:
          ; dilation 1: no division
          %ua_1 = select i1 %yneg, i64 %ny0, i64 0
          %ub_1 = select i1 %hpos, i64 %hy, i64 0
          br label %rq
        rqd:
          %ua0 = add i64 %ny0, %dh1
          %ua1 = sdiv i64 %ua0, %dh
          %ua_d = select i1 %yneg, i64 %ua1, i64 0
          %ub0 = add i64 %hy, %dh1
          %ub1 = sdiv i64 %ub0, %dh
          %ub_d = select i1 %hpos, i64 %ub1, i64 0
          br label %rq
        rq:
          %ua = phi i64 [ %ua_1, %rq1 ], [ %ua_d, %rqd ]
          %ub2 = phi i64 [ %ub_1, %rq1 ], [ %ub_d, %rqd ]
          %ubs = icmp slt i64 %ub2, %kh
          %ub = select i1 %ubs, i64 %ub2, i64 %kh
          %anyrow = icmp slt i64 %ua, %ub
          br i1 %anyrow, label %rows, label %zr
        rows:
          %uad = mul i64 %ua, %dh
          %yya = add i64 %y0, %uad
          %x0o = mul i64 %yya, %w
          %x0 = getelementptr i8, ptr %xc, i64 %x0o
          %nrest = sub i64 %ub, %ua
          br i1 %wide, label %vk, label %sk
        vk:
          ; the vertical max, 32 bytes at a time (the last block again at w - 32)
          %k = phi i64 [ 0, %rows ], [ %kn, %vkdone ]
          %kx = getelementptr i8, ptr %x0, i64 %k
          %k0 = load <32 x i8>, ptr %kx, align 1
          br label %vkr
        vkr:
          %vr = phi i64 [ 1, %vk ], [ %vr1, %vkr1 ]
          %ka = phi <32 x i8> [ %k0, %vk ], [ %ka1, %vkr1 ]
          %vrm = icmp ult i64 %vr, %nrest
          br i1 %vrm, label %vkr1, label %vkdone
        vkr1:
          %vro = mul i64 %vr, %rstep
          %vrx = getelementptr i8, ptr %kx, i64 %vro
          %vrv = load <32 x i8>, ptr %vrx, align 1
          %vrg = icmp CMP <32 x i8> %vrv, %ka
          %ka1 = select <32 x i1> %vrg, <32 x i8> %vrv, <32 x i8> %ka
          %vr1 = add nuw i64 %vr, 1
          br label %vkr
        vkdone:
          %kv = getelementptr i8, ptr %V, i64 %k
          store <32 x i8> %ka, ptr %kv, align 1
          %kn0 = add i64 %k, 32
          %kne = add i64 %kn0, 32
          %kfull = icmp ule i64 %kne, %w
          %kpart = icmp ult i64 %kn0, %w
          %kn = select i1 %kfull, i64 %kn0, i64 %wlast
          br i1 %kpart, label %vk, label %sl
        sk:
          ; rows narrower than 32 bytes: byte by byte
          %q = phi i64 [ 0, %rows ], [ %q1, %skdone ]
          %qx = getelementptr i8, ptr %x0, i64 %q
          %q0 = load i8, ptr %qx, align 1
          br label %skr
        skr:
          %er = phi i64 [ 1, %sk ], [ %er1, %skr1 ]
          %ea = phi i8 [ %q0, %sk ], [ %ea1, %skr1 ]
          %erm = icmp ult i64 %er, %nrest
          br i1 %erm, label %skr1, label %skdone
        skr1:
          %ero = mul i64 %er, %rstep
          %erx = getelementptr i8, ptr %qx, i64 %ero
          %erv = load i8, ptr %erx, align 1
          %erg = icmp CMP i8 %erv, %ea
          %ea1 = select i1 %erg, i8 %erv, i8 %ea
          %er1 = add nuw i64 %er, 1
          br label %skr
        skdone:
          %qv = getelementptr i8, ptr %V, i64 %q
          store i8 %ea, ptr %qv, align 1
          %q1 = add nuw i64 %q, 1
          %qm = icmp ult i64 %q1, %w
          br i1 %qm, label %sk, label %sl
        zr:
          %zz = phi i64 [ 0, %rq ], [ %zz1, %zr ]
          %zzp = getelementptr i8, ptr %orow, i64 %zz
          store i8 0, ptr %zzp, align 1
          %zz1 = add nuw i64 %zz, 1
          %zzm = icmp ult i64 %zz1, %ow
          br i1 %zzm, label %zr, label %rownext
        SCALARLEFT
        vec:
          br i1 %vok, label %vb, label %sr
        vb:
          %jv = phi i64 [ %vs, %vec ], [ %jvn, %vst ]
          %p0 = mul i64 %jv, S
          %p1 = sub i64 %p0, %pw
          %p2 = sub i64 %p1, SM1
          br label %vt
        vt:
          %tv = phi i64 [ 0, %vb ], [ %tv1, %vt ]
          %acc = phi <16 x i8> [ IDV, %vb ], [ %acc1, %vt ]
          %p = add i64 %p2, %tv
          %lp = getelementptr i8, ptr %V, i64 %p
        LOAD
          %gtv = icmp CMP <16 x i8> %lo, %acc
          %acc1 = select <16 x i1> %gtv, <16 x i8> %lo, <16 x i8> %acc
          %tv1 = add nuw i64 %tv, 1
          %tvm = icmp ult i64 %tv1, %kw
          br i1 %tvm, label %vt, label %vst
        vst:
          %vop = getelementptr i8, ptr %orow, i64 %jv
          store <16 x i8> %acc1, ptr %vop, align 1
          ; the next block of 16, or the last 16 columns again, or done
          %jvn0 = add i64 %jv, 16
          %jvn0e = add i64 %jvn0, 16
          %vfull = icmp ule i64 %jvn0e, %ve
          %vpart = icmp ult i64 %jvn0, %ve
          %jvn = select i1 %vfull, i64 %jvn0, i64 %vlast
          br i1 %vpart, label %vb, label %sr
        SCALARRIGHT
        hdone:
          br label %rownext
        rownext:
          %i1 = add nuw i64 %i, 1
          %im = icmp ult i64 %i1, %oh
          %c1 = add nuw i64 %c, 1
          %cm = icmp ult i64 %c1, %hi0
          br i1 %im, label %row, label %plnext
        plnext:
          br i1 %cm, label %pl, label %exit
        exit:
          ret void
        }

        """;
    // rownext branches to %pl through plnext; fix the plane phi's predecessor
    body = body.replace("[ %c1, %rownext ]", "[ %c1, %plnext ]");
    String id = signed ? "-128" : "0";
    return body.replace("SCALARLEFT", scalar("sl", "0", "%vs", "vec", s, signed))
        .replace("SCALARRIGHT", scalar("sr", "%ve", "%ow", "hdone", s, signed))
        .replace("LOAD\n", load)
        .replace("NAME", name(signed, s))
        .replace("SM2", String.valueOf(2 * (s - 1)))
        .replace("SM1", String.valueOf(s - 1))
        .replace("IDV", "<" + splat(id) + ">")
        .replace("ID", id)
        .replace("CMP", signed ? "sgt" : "ugt")
        .replace(" S\n", " " + s + "\n")
        .replace(", S\n", ", " + s + "\n");
  }

  private static String splat(String v) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < 16; k++) b.append(k == 0 ? "" : ", ").append("i8 ").append(v);
    return b.toString();
  }

  private static String oddLanes() {
    StringBuilder b = new StringBuilder("<");
    for (int k = 0; k < 16; k++) b.append(k == 0 ? "" : ", ").append("i32 ").append(2 * k + 1);
    return b.append('>').toString();
  }

  /**
   * Columns [from, to) of the vertical max row one at a time: the max over the taps inside the row, or 0 when no tap
   * is inside; then a branch to {@code next}.
   */
  private static String scalar(String p, String from, String to, String next, int s, boolean signed) {
    String t = """
        P:
          %Pany = icmp ult i64 FROM, TO
          br i1 %Pany, label %Pj, label %NEXT
        Pj:
          %Pjj = phi i64 [ FROM, %P ], [ %Pj1, %Pjdone ]
          %Pxs0 = mul i64 %Pjj, STRIDE
          %Pxs = sub i64 %Pxs0, %pw
          br label %Pt
        Pt:
          %Ptt = phi i64 [ 0, %Pj ], [ %Pt1, %Ptnext ]
          %Pm = phi i8 [ IDENT, %Pj ], [ %Pm1, %Ptnext ]
          %Pf = phi i1 [ false, %Pj ], [ %Pf1, %Ptnext ]
          %Pxx = add i64 %Pxs, %Ptt
          %Pin0 = icmp sge i64 %Pxx, 0
          %Pin1 = icmp slt i64 %Pxx, %w
          %Pin = and i1 %Pin0, %Pin1
          br i1 %Pin, label %Ptin, label %Ptnext
        Ptin:
          %Pbp = getelementptr i8, ptr %V, i64 %Pxx
          %Pb = load i8, ptr %Pbp, align 1
          %Pgt = icmp CMP i8 %Pb, %Pm
          %Pmb = select i1 %Pgt, i8 %Pb, i8 %Pm
          br label %Ptnext
        Ptnext:
          %Pm1 = phi i8 [ %Pm, %Pt ], [ %Pmb, %Ptin ]
          %Pf1 = phi i1 [ %Pf, %Pt ], [ true, %Ptin ]
          %Pt1 = add nuw i64 %Ptt, 1
          %Ptm = icmp ult i64 %Pt1, %kw
          br i1 %Ptm, label %Pt, label %Pjdone
        Pjdone:
          %Pop = getelementptr i8, ptr %orow, i64 %Pjj
          %Pv = select i1 %Pf1, i8 %Pm1, i8 0
          store i8 %Pv, ptr %Pop, align 1
          %Pj1 = add nuw i64 %Pjj, 1
          %Pjm = icmp ult i64 %Pj1, TO
          br i1 %Pjm, label %Pj, label %NEXT
        """;
    return t.replace("FROM", from).replace("TO", to).replace("NEXT", next).replace("STRIDE", String.valueOf(s))
        .replace("IDENT", signed ? "-128" : "0").replace("CMP", signed ? "sgt" : "ugt").replace("P", p);
  }
}
