package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of a whole quantized NCHW convolution ({@code q.conv2d[_relu]}) in one call, computed transposed so
 * that NCHW is natural on both sides: output channels are the broadcast rows (s8 weights, packed once at init) and
 * output positions the 16-lane vectors (u8 activation panels), so each accumulator vector is 16 consecutive outputs of
 * one channel and the requantized bytes are stored as they are.
 *
 * <pre>void kiln_q8_conv(ptr args, i32 tid, i32 nthreads)   (args layout: dev.kiln.runtime.nativelib.Int8Node)</pre>
 *
 * Per image: the input (every channel) is copied into a padded buffer, qi8 shifted to u8 by xor 0x80, the border
 * filled with the zero point, so that any tap reads inside it. Positions are grouped per output row in panels of 16
 * ({@code nbr = ceil(ow / 16)} panels per row; lanes past the row end are computed and never stored). Per chunk of
 * panels, the u8 patches are packed in the panel layout the micro-kernel reads (per group of 4 depths, 16 lanes x 4
 * bytes): each depth p is 16 bytes at {@code offs[p] + base(panel)} in the padded buffer (one load for stride 1 and 2,
 * lane by lane otherwise), four of them interleaved. The sum of each position's patch is one more product, against a
 * row of ones stored after the weights; it is skipped when every weight zero point is 0 (symmetric weights, as Kiln's
 * quantizer makes them), since {@code wz possum} is then 0 whatever the sums hold. Then per 4 output channels {@code @q8t_rows_4} and the epilogue on 16 lanes
 * at a time: {@code requant(acc - wz possum + fix, mult)} with {@code fix = k x0 wz - x0 cw + bias_q}, as
 * {@code QuantGemmNode} computes it (integers modulo 2^32, one float product, cvtps, clamp).
 *
 * <p>When rows are short (ow = 7: 7 of 16 lanes), the panels run over the flat positions instead (16 consecutive
 * outputs across rows, each lane's offset from a table, gathered byte by byte; the 16 outputs are again consecutive
 * in y): {@code flat} = 1, {@code posoff}. With rows of at least 16 and stride 1 or 2, flat panels span at most two
 * rows and each depth is two vector loads and a blend ({@code flat} = 2): no lane is wasted but the last panel's;
 * rows of 6 to 15 take four loads and three blends ({@code flat} = 3). The padded buffer starts 128 bytes into the
 * slot, so a row's load may start before it (lanes of earlier rows, discarded).
 *
 * <p>When the position panels of a 7x7 output waste a quarter of their lanes, the runtime asks for the channel-panel
 * form instead (args slot {@code chan}, {@link Int8ConvChanIr}): the same padding, packing and patch sums, then the
 * product with positions broadcast and 16 output channels per vector.
 *
 * <p>Thread tid of the first min(nthreads, slots) takes the panels {@code [np tid / w, np (tid + 1) / w)} of every
 * image and group, with its own scratch slot (padded image, packed chunk, sums, accumulators).
 */
final class Int8ConvIr {
  private Int8ConvIr() {}

  static final String SYMBOL = "kiln_q8_conv";

  static final String[] SLOTS = {"x", "y", "w", "offs", "wz", "fix", "mult", "scratch", "sstride", "slots", "imgs", "groups",
      "c", "h", "wd", "hp", "wp", "oh", "ow", "nbr", "sh", "sw", "ph", "pw", "og", "og4", "kq", "pc", "xor", "pad", "zp", "lo",
      "hi", "boff", "poff", "coff", "gstride", "np", "flat", "posoff", "chan"};

  static String functions(boolean vnni) {
    StringBuilder s = new StringBuilder();
    s.append("""
        declare <16 x float> @llvm.rint.v16f32(<16 x float>)
        declare <16 x i32> @llvm.fptosi.sat.v16i32.v16f32(<16 x float>)
        declare <16 x i32> @llvm.smin.v16i32(<16 x i32>, <16 x i32>)
        declare <16 x i32> @llvm.smax.v16i32(<16 x i32>, <16 x i32>)
        declare void @llvm.masked.store.v16i8.p0(<16 x i8>, ptr, i32, <16 x i1>)
        declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
        declare i64 @llvm.umin.i64(i64, i64)

        """);
    s.append(Int8PadIr.functions(vnni)).append(requant(vnni)).append(epilogue()).append(Int8ConvChanIr.functions());
    for (String kind : new String[] {"1", "2", "n", "flat"}) s.append(Int8PackIr.pack(kind));
    for (int n : new int[] {2, 4}) s.append(Int8PackIr.packSplit(1, n)).append(Int8PackIr.packSplit(2, n));
    s.append(driver(vnni));
    return s.toString();
  }

  /**
   * {@code @q8_req16(acc - wz ps, fix, m, zp, lo, hi)}: 16 requantized bytes, {@code cvtps(float(acc - wz ps + fix) m)
   * + zp} clamped to {@code [lo, hi]} (cvtps gives INT32_MIN outside the int32 range), as {@code QuantGemmNode}; shared
   * by the epilogues of both forms ({@code @q8_epi16}, {@link Int8ConvChanIr}'s {@code @q8_epc16}). With AVX-512
   * ({@code wide}) cvtps is the instruction itself with its rounding fixed to nearest-even ({@code {rn-sae}}, whatever
   * MXCSR holds); otherwise rint, a range test and a truncating conversion, which give the same integers.
   */
  private static String requant(boolean wide) {
    String cvt = wide ? """
          %cv = call <16 x i32> @llvm.x86.avx512.mask.cvtps2dq.512(<16 x float> %p, <16 x i32> zeroinitializer, i16 -1, i32 8)
        """ : """
          %r = call <16 x float> @llvm.rint.v16f32(<16 x float> %p)
          %in0 = fcmp oge <16 x float> %r, <SPLAT_LO>
          %in1 = fcmp olt <16 x float> %r, <SPLAT_HI>
          %in = and <16 x i1> %in0, %in1
          %ri = fptosi <16 x float> %r to <16 x i32>
          %cv = select <16 x i1> %in, <16 x i32> %ri, <16 x i32> <SPLAT_MIN>
        """;
    String text = (wide ? "declare <16 x i32> @llvm.x86.avx512.mask.cvtps2dq.512(<16 x float>, <16 x i32>, i16, i32)\n\n" : "")
        + """
        define internal <16 x i8> @q8_req16(<16 x i32> %v0, <16 x i32> %fxv, <16 x float> %mv, i32 %zp, i32 %lo, i32 %hi)
            alwaysinline nounwind {
        entry:
          %v = add <16 x i32> %v0, %fxv
          %f = sitofp <16 x i32> %v to <16 x float>
          %p = fmul <16 x float> %f, %mv
        """ + cvt + """
          %hz = sub i32 %hi, %zp
          %lz = sub i32 %lo, %zp
          %hz0 = insertelement <16 x i32> poison, i32 %hz, i64 0
          %hzv = shufflevector <16 x i32> %hz0, <16 x i32> poison, <16 x i32> zeroinitializer
          %lz0 = insertelement <16 x i32> poison, i32 %lz, i64 0
          %lzv = shufflevector <16 x i32> %lz0, <16 x i32> poison, <16 x i32> zeroinitializer
          %zp0 = insertelement <16 x i32> poison, i32 %zp, i64 0
          %zpv = shufflevector <16 x i32> %zp0, <16 x i32> poison, <16 x i32> zeroinitializer
          %c1 = call <16 x i32> @llvm.smin.v16i32(<16 x i32> %cv, <16 x i32> %hzv)
          %c2 = call <16 x i32> @llvm.smax.v16i32(<16 x i32> %c1, <16 x i32> %lzv)
          %q = add <16 x i32> %c2, %zpv
          %qb = trunc <16 x i32> %q to <16 x i8>
          ret <16 x i8> %qb
        }

        """;
    return text.replace("<SPLAT_LO>", splat("float", "0xC1E0000000000000")).replace("<SPLAT_HI>", splat("float", "0x41E0000000000000"))
        .replace("<SPLAT_MIN>", splat("i32", "-2147483648"));
  }

  /**
   * {@code @q8_epi16(c, ps, wz, fix, m, zp, lo, hi, y, cnt)}: 16 outputs of one channel, the first cnt stored; the
   * patch sums are not read when the channel's weight zero point is 0.
   */
  private static String epilogue() {
    return """
        define internal void @q8_epi16(ptr noalias %c, ptr noalias %ps, i32 %wz, i32 %fix, float %m, i32 %zp, i32 %lo,
            i32 %hi, ptr noalias %y, i64 %cnt) alwaysinline nounwind {
        entry:
          %acc = load <16 x i32>, ptr %c, align 4
          %wz0 = insertelement <16 x i32> poison, i32 %wz, i64 0
          %wzv = shufflevector <16 x i32> %wz0, <16 x i32> poison, <16 x i32> zeroinitializer
          %fx0 = insertelement <16 x i32> poison, i32 %fix, i64 0
          %fxv = shufflevector <16 x i32> %fx0, <16 x i32> poison, <16 x i32> zeroinitializer
          %m0 = insertelement <16 x float> poison, float %m, i64 0
          %mv = shufflevector <16 x float> %m0, <16 x float> poison, <16 x i32> zeroinitializer
          %wzz = icmp eq i32 %wz, 0
          br i1 %wzz, label %req, label %sums
        sums:
          %psv = load <16 x i32>, ptr %ps, align 4
          %ws = mul <16 x i32> %wzv, %psv
          %accs = sub <16 x i32> %acc, %ws
          br label %req
        req:
          %v0 = phi <16 x i32> [ %acc, %entry ], [ %accs, %sums ]
          %qb = call <16 x i8> @q8_req16(<16 x i32> %v0, <16 x i32> %fxv, <16 x float> %mv, i32 %zp, i32 %lo, i32 %hi)
          %full = icmp uge i64 %cnt, 16
          br i1 %full, label %all, label %part
        all:
          store <16 x i8> %qb, ptr %y, align 1
          ret void
        part:
          %cn = trunc i64 %cnt to i8
          %cn0 = insertelement <16 x i8> poison, i8 %cn, i64 0
          %cnv = shufflevector <16 x i8> %cn0, <16 x i8> poison, <16 x i32> zeroinitializer
          %mask = icmp ult <16 x i8> <LANES8>, %cnv
          call void @llvm.masked.store.v16i8.p0(<16 x i8> %qb, ptr %y, i32 1, <16 x i1> %mask)
          ret void
        }

        """.replace("<LANES8>", Int8PackIr.lanes8());
  }

  private static String splat(String t, String v) {
    StringBuilder b = new StringBuilder("<");
    for (int i = 0; i < 16; i++) b.append(i == 0 ? "" : ", ").append(t).append(' ').append(v);
    return b.append('>').toString();
  }

  /** Rows 1..3 of a flat panel: %sr{s} (first lane of row s, may be past 16) and %sbase{s}. */
  private static String segments() {
    StringBuilder s = new StringBuilder();
    for (int h = 1; h < 4; h++) {
      s.append("          %si").append(h).append(" = add i64 %si0, ").append(h).append('\n');
      s.append("          %sq").append(h).append(" = mul i64 %si").append(h).append(", %ow\n");
      s.append("          %sr").append(h).append(" = sub i64 %sq").append(h).append(", %sq0\n");
      s.append("          %sbr").append(h).append(" = mul i64 %si").append(h).append(", %rowstep\n");
      s.append("          %sbl").append(h).append(" = mul i64 %sr").append(h).append(", %sw\n");
      s.append("          %sbase").append(h).append(" = sub i64 %sbr").append(h).append(", %sbl").append(h).append('\n');
    }
    return s.toString();
  }

  private static String driver(boolean vnni) {
    return ("""
        define void @{SYMBOL}(ptr %args, i32 %tid, i32 %nt) nounwind {
        entry:
        {LOADS}
          %tid64 = sext i32 %tid to i64
          %nt64 = sext i32 %nt to i64
          %few = icmp slt i64 %nt64, %slots
          %wc = select i1 %few, i64 %nt64, i64 %slots
          %act = icmp slt i64 %tid64, %wc
          %plo0 = mul i64 %np, %tid64
          %plo = udiv i64 %plo0, %wc
          %tid1 = add i64 %tid64, 1
          %phi0 = mul i64 %np, %tid1
          %phi = udiv i64 %phi0, %wc
          %some = icmp ult i64 %plo, %phi
          %run = and i1 %act, %some
          br i1 %run, label %go, label %exit
        go:
          %so = mul i64 %tid64, %sstride
          %Pslot = getelementptr i8, ptr %scratch, i64 %so
          %P = getelementptr i8, ptr %Pslot, i64 128
          %B = getelementptr i8, ptr %P, i64 %boff
          %PS = getelementptr i8, ptr %P, i64 %poff
          %CB = getelementptr i8, ptr %P, i64 %coff
          %kp = mul i64 %kq, 4
          %panel = mul i64 %kq, 64
          %cg = udiv i64 %c, %groups
          %plane = mul i64 %hp, %wp
          %gplane = mul i64 %cg, %plane
          %oc = mul i64 %og, %groups
          %m = mul i64 %oh, %ow
          %ximg = mul i64 %c, %h
          %xsz = mul i64 %ximg, %wd
          %xor8 = trunc i64 %xor to i8
          %pad8 = trunc i64 %pad to i8
          %zp32 = trunc i64 %zp to i32
          %lo32 = trunc i64 %lo to i32
          %hi32 = trunc i64 %hi to i32
          %ones0 = mul i64 %og4, %kp
          %rowstep = mul i64 %sh, %wp
          %colstep = mul i64 %sw, 16
          %s1 = icmp eq i64 %sw, 1
          %s2 = icmp eq i64 %sw, 2
          %isflat = icmp ne i64 %flat, 0
          %issplit = icmp uge i64 %flat, 2
          %ischan = icmp ne i64 %chan, 0
          %og15 = add i64 %og, 15
          %nbc = udiv i64 %og15, 16
          %wzzero = call i1 @q8_allzero(ptr %wz, i64 %oc)
          br label %img
        img:
          %im = phi i64 [ 0, %go ], [ %im1, %imgnext ]
          %xo = mul i64 %im, %xsz
          %xi = getelementptr i8, ptr %x, i64 %xo
          call void @q8_pad(ptr %xi, ptr %P, i64 %c, i64 %h, i64 %wd, i64 %hp, i64 %wp, i64 %ph, i64 %pw, i8 %xor8, i8 %pad8)
          br label %grp
        grp:
          %g = phi i64 [ 0, %img ], [ %g1, %grpnext ]
          %pgo = mul i64 %g, %gplane
          %pg = getelementptr i8, ptr %P, i64 %pgo
          %wgo = mul i64 %g, %gstride
          %wg = getelementptr i8, ptr %w, i64 %wgo
          %ones = getelementptr i8, ptr %wg, i64 %ones0
          br label %chunk
        chunk:
          %t0 = phi i64 [ %plo, %grp ], [ %t0n, %chunknext ]
          %rest = sub i64 %phi, %t0
          %fits = icmp ult i64 %rest, %pc
          %cnp = select i1 %fits, i64 %rest, i64 %pc
          br label %packp
        packp:
          %tt = phi i64 [ 0, %chunk ], [ %tt1, %packed ]
          %t = add i64 %t0, %tt
          %pi = udiv i64 %t, %nbr
          %pj = urem i64 %t, %nbr
          %b0 = mul i64 %pi, %rowstep
          %b1 = mul i64 %pj, %colstep
          %base = add i64 %b0, %b1
          %bo = mul i64 %tt, %panel
          %bp = getelementptr i8, ptr %B, i64 %bo
          %lno = mul i64 %t, 128
          %lanes = getelementptr i8, ptr %posoff, i64 %lno
          br i1 %issplit, label %pks, label %pkft
        pks:
          %sq0 = mul i64 %t, 16
          %si0 = udiv i64 %sq0, %ow
          %sj0 = urem i64 %sq0, %ow
          %sb00 = mul i64 %si0, %rowstep
          %sb01 = mul i64 %sj0, %sw
          %sbase0 = add i64 %sb00, %sb01
""" + segments() + """
          %four = icmp eq i64 %flat, 3
          br i1 %four, label %pk4, label %pkseg2
        pk4:
          br i1 %s1, label %pk41, label %pk42
        pk41:
          call void @q8_split4_1(ptr %pg, ptr %offs, i64 %kq, i64 %sbase0, i64 %sbase1, i64 %sbase2, i64 %sbase3, i64 %sr1, i64 %sr2, i64 %sr3, ptr %bp)
          br label %packed
        pk42:
          call void @q8_split4_2(ptr %pg, ptr %offs, i64 %kq, i64 %sbase0, i64 %sbase1, i64 %sbase2, i64 %sbase3, i64 %sr1, i64 %sr2, i64 %sr3, ptr %bp)
          br label %packed
        pkseg2:
          br i1 %s1, label %pks1, label %pks2
        pks1:
          call void @q8_split2_1(ptr %pg, ptr %offs, i64 %kq, i64 %sbase0, i64 %sbase1, i64 %sr1, ptr %bp)
          br label %packed
        pks2:
          call void @q8_split2_2(ptr %pg, ptr %offs, i64 %kq, i64 %sbase0, i64 %sbase1, i64 %sr1, ptr %bp)
          br label %packed
        pkft:
          br i1 %isflat, label %pkf, label %pk1t
        pkf:
          call void @q8_pack_flat(ptr %pg, ptr %offs, i64 %kq, i64 0, i64 %sw, ptr %bp, ptr %lanes)
          br label %packed
        pk1t:
          br i1 %s1, label %pk1, label %pk2t
        pk1:
          call void @q8_pack_1(ptr %pg, ptr %offs, i64 %kq, i64 %base, i64 %sw, ptr %bp, ptr %lanes)
          br label %packed
        pk2t:
          br i1 %s2, label %pk2, label %pkn
        pk2:
          call void @q8_pack_2(ptr %pg, ptr %offs, i64 %kq, i64 %base, i64 %sw, ptr %bp, ptr %lanes)
          br label %packed
        pkn:
          call void @q8_pack_n(ptr %pg, ptr %offs, i64 %kq, i64 %base, i64 %sw, ptr %bp, ptr %lanes)
          br label %packed
        packed:
          %tt1 = add i64 %tt, 1
          %pm = icmp ult i64 %tt1, %cnp
          br i1 %pm, label %packp, label %sums
        sums:
          %ldc = mul i64 %cnp, 16
          %ci0 = udiv i64 %t0, %nbr
          %cj0 = urem i64 %t0, %nbr
          br i1 %wzzero, label %summed, label %dosums
        dosums:
          call void @q8t_rows_1(ptr %ones, i64 %kp, ptr %B, i64 %kq, ptr %PS, i64 %ldc, i64 %cnp)
          br label %summed
        summed:
          br i1 %ischan, label %cgrp, label %rblock
{CHAN}        rblock:
          %rb = phi i64 [ 0, %summed ], [ %rb1, %rbnext ]
          %wro = mul i64 %rb, %kp
          %wr = getelementptr i8, ptr %wg, i64 %wro
          call void @q8t_rows_4(ptr %wr, i64 %kp, ptr %B, i64 %kq, ptr %CB, i64 %ldc, i64 %cnp)
          %rleft = sub i64 %og, %rb
          %r4 = icmp ult i64 %rleft, 4
          %nr = select i1 %r4, i64 %rleft, i64 4
          br label %erow
        erow:
          %rr = phi i64 [ 0, %rblock ], [ %rr1, %erownext ]
          %ocg = add i64 %rb, %rr
          %och0 = mul i64 %g, %og
          %och = add i64 %och0, %ocg
          %wzp = getelementptr i32, ptr %wz, i64 %och
          %wzv = load i32, ptr %wzp, align 4
          %fxp = getelementptr i32, ptr %fix, i64 %och
          %fxv = load i32, ptr %fxp, align 4
          %mlp = getelementptr float, ptr %mult, i64 %och
          %mlv = load float, ptr %mlp, align 4
          %yc0 = mul i64 %im, %oc
          %yc1 = add i64 %yc0, %och
          %ych = mul i64 %yc1, %m
          %crow0 = mul i64 %rr, %ldc
          br label %epanel
        epanel:
          %et = phi i64 [ 0, %erow ], [ %et1, %epanel ]
          %ei = phi i64 [ %ci0, %erow ], [ %ei1, %epanel ]
          %ej = phi i64 [ %cj0, %erow ], [ %ej1, %epanel ]
          %etg = add i64 %t0, %et
          %ej16 = mul i64 %ej, 16
          %ecntr = sub i64 %ow, %ej16
          %eyo0 = mul i64 %ei, %ow
          %eyo1r = add i64 %eyo0, %ej16
          %ef16 = mul i64 %etg, 16
          %ecntf = sub i64 %m, %ef16
          %ecnt = select i1 %isflat, i64 %ecntf, i64 %ecntr
          %eyo1 = select i1 %isflat, i64 %ef16, i64 %eyo1r
          %eyo = add i64 %eyo1, %ych
          %eyp = getelementptr i8, ptr %y, i64 %eyo
          %el = mul i64 %et, 16
          %eco = add i64 %crow0, %el
          %ecp = getelementptr i32, ptr %CB, i64 %eco
          %epp = getelementptr i32, ptr %PS, i64 %el
          call void @q8_epi16(ptr %ecp, ptr %epp, i32 %wzv, i32 %fxv, float %mlv, i32 %zp32, i32 %lo32, i32 %hi32, ptr %eyp, i64 %ecnt)
          %et1 = add i64 %et, 1
          %ejn = add i64 %ej, 1
          %ewrap = icmp eq i64 %ejn, %nbr
          %ej1 = select i1 %ewrap, i64 0, i64 %ejn
          %ewrap64 = zext i1 %ewrap to i64
          %ei1 = add i64 %ei, %ewrap64
          %em = icmp ult i64 %et1, %cnp
          br i1 %em, label %epanel, label %erownext
        erownext:
          %rr1 = add i64 %rr, 1
          %rm = icmp ult i64 %rr1, %nr
          br i1 %rm, label %erow, label %rbnext
        rbnext:
          %rb1 = add i64 %rb, 4
          %rbm = icmp ult i64 %rb1, %og
          br i1 %rbm, label %rblock, label %chunknext
        chunknext:
          %t0n = add i64 %t0, %cnp
          %cm = icmp ult i64 %t0n, %phi
          br i1 %cm, label %chunk, label %grpnext
        grpnext:
          %g1 = add i64 %g, 1
          %gm = icmp ult i64 %g1, %groups
          br i1 %gm, label %grp, label %imgnext
        imgnext:
          %im1 = add i64 %im, 1
          %imm = icmp ult i64 %im1, %imgs
          br i1 %imm, label %img, label %exit
        exit:
          ret void
        }

        """).replace("{SYMBOL}", SYMBOL).replace("{LOADS}", Int8LinearIr.loads(SLOTS)).replace("{CHAN}", Int8ConvChanIr.blocks(vnni));
  }
}
