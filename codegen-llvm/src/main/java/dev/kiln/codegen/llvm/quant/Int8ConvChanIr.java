package dev.kiln.codegen.llvm.quant;

/**
 * The channel-panel form of {@link Int8ConvIr}'s product, for convolutions whose positions fill the 16-lane panels
 * badly: a 7x7 output is 49 positions, 3 full panels and one with a single lane, so the transposed kernel computes 64
 * lanes for 49 (resnet18's last stage: 5 of its 20 convolutions, 23 % of their products thrown away). Here the roles
 * are those of a linear layer: output positions are the broadcast rows, read from the packed activation panels as
 * they are (position i of a panel at {@code 4 i}, its group of 4 depths q at {@code 64 q}), and the weights are panels
 * of 16 output channels ({@code (t kq + q) 64 + 4 c + e}, the linear layout), so each accumulator holds 16 channels of
 * one position: rows in tiles of MR ({@link Int8GemmIr#chanTile}), then one at a time, only the valid positions.
 *
 * <p>The runtime picks it per node ({@code dev.kiln.runtime.nativelib.Int8Node}: args slot {@code chan}, weights in
 * channel panels, a row of ones after them for the patch sums) only when the plan names {@link #SYMBOL}, which
 * {@link Int8Library} does unless {@code -Dkiln.llvm.int8.chanPanels=false}: an artifact compiled before this form
 * names {@code kiln_q8_conv} and never gets the new layout. The epilogue requantizes 16 channels of one position with
 * the per-channel vectors (the same integers and float product as {@code q8_epi16}) and stores them {@code m} bytes
 * apart (NCHW).
 */
final class Int8ConvChanIr {
  private Int8ConvChanIr() {}

  /** The entry point that accepts the channel-panel form (a wrapper of {@code kiln_q8_conv}). */
  static final String SYMBOL = "kiln_q8_convc";

  /** Whether {@link Int8Library} names {@link #SYMBOL} for convolutions ({@code -Dkiln.llvm.int8.chanPanels}). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.int8.chanPanels")); }

  /** The wrapper and {@code @q8_epc16}. */
  static String functions() {
    return """
        declare void @llvm.masked.scatter.v16i8.v16p0(<16 x i8>, <16 x ptr>, i32, <16 x i1>)

        define void @{SYMBOL}(ptr %args, i32 %tid, i32 %nt) nounwind {
          call void @kiln_q8_conv(ptr %args, i32 %tid, i32 %nt)
          ret void
        }

        define internal void @q8_epc16(ptr noalias %c, i32 %ps, ptr noalias %wz, ptr noalias %fix, ptr noalias %mult, i32 %zp,
            i32 %lo, i32 %hi, ptr noalias %y, i64 %stride, i64 %cnt) alwaysinline nounwind {
        entry:
          %acc = load <16 x i32>, ptr %c, align 4
          %wzv = load <16 x i32>, ptr %wz, align 4
          %fxv = load <16 x i32>, ptr %fix, align 4
          %mv = load <16 x float>, ptr %mult, align 4
          %ps0 = insertelement <16 x i32> poison, i32 %ps, i64 0
          %psv = shufflevector <16 x i32> %ps0, <16 x i32> poison, <16 x i32> zeroinitializer
          %ws = mul <16 x i32> %wzv, %psv
          %v0 = sub <16 x i32> %acc, %ws
          %qb = call <16 x i8> @q8_req16(<16 x i32> %v0, <16 x i32> %fxv, <16 x float> %mv, i32 %zp, i32 %lo, i32 %hi)
          %st0 = insertelement <16 x i64> poison, i64 %stride, i64 0
          %stv = shufflevector <16 x i64> %st0, <16 x i64> poison, <16 x i32> zeroinitializer
          %offs = mul <16 x i64> %stv, <LANES64>
          %ptrs = getelementptr i8, ptr %y, <16 x i64> %offs
          %cn = trunc i64 %cnt to i8
          %cn0 = insertelement <16 x i8> poison, i8 %cn, i64 0
          %cnv = shufflevector <16 x i8> %cn0, <16 x i8> poison, <16 x i32> zeroinitializer
          %mask = icmp ult <16 x i8> <LANES8>, %cnv
          call void @llvm.masked.scatter.v16i8.v16p0(<16 x i8> %qb, <16 x ptr> %ptrs, i32 1, <16 x i1> %mask)
          ret void
        }

        """.replace("{SYMBOL}", SYMBOL).replace("<LANES8>", Int8PackIr.lanes8()).replace("<LANES64>", lanes64());
  }

  private static String lanes64() {
    StringBuilder b = new StringBuilder("<");
    for (int i = 0; i < 16; i++) b.append(i == 0 ? "" : ", ").append("i64 ").append(i);
    return b.append('>').toString();
  }

  /**
   * The driver's blocks for one chunk in the channel-panel form, entered at {@code %cgrp} from {@code %summed} (packed
   * panels in %B, patch sums in %PS) and leaving to {@code %chunknext}: per group of NV channel panels, every valid
   * position of the chunk's panels (MR rows at a time while MR are left, then single rows) into %CB (rows of
   * {@code 16 NV} int32), then the epilogue of each position and channel panel.
   */
  static String blocks(boolean vnni) {
    int[] t = Int8GemmIr.chanTile(vnni);
    return """
        cgrp:
          %chg = phi i64 [ 0, %summed ], [ %chg1, %cgnext ]
          %cgl = sub i64 %nbc, %chg
          %cgf = icmp ult i64 %cgl, {NV}
          %nvg = select i1 %cgf, i64 %cgl, i64 {NV}
          %hwco = mul i64 %chg, %panel
          %hwc = getelementptr i8, ptr %wg, i64 %hwco
          br label %cpan
        cpan:
          %ct = phi i64 [ 0, %cgrp ], [ %ct1, %cpannext ]
          %ctg = add i64 %t0, %ct
          %cv0 = mul i64 %ctg, 16
          %cvr = sub i64 %m, %cv0
          %cvb = icmp ult i64 %cvr, 16
          %cvalid = select i1 %cvb, i64 %cvr, i64 16
          %cao = mul i64 %ct, %panel
          %ca = getelementptr i8, ptr %B, i64 %cao
          %crb = mul i64 %ct, 16
          br label %crow
        crow:
          %cr = phi i64 [ 0, %cpan ], [ %cr1, %crownext ]
          %crem = sub i64 %cvalid, %cr
          %cbig = icmp uge i64 %crem, {MR}
          %car = shl i64 %cr, 2
          %cap = getelementptr i8, ptr %ca, i64 %car
          %cro = add i64 %crb, %cr
          %cco = mul i64 %cro, {LDC}
          %ccp = getelementptr i32, ptr %CB, i64 %cco
          br i1 %cbig, label %cbigt, label %cone
        cbigt:
          call void @q8p_cols_{MR}(ptr %cap, i64 4, ptr %hwc, i64 %kq, ptr %ccp, i64 {LDC}, i64 %nvg)
          br label %crownext
        cone:
          call void @q8p_cols_1(ptr %cap, i64 4, ptr %hwc, i64 %kq, ptr %ccp, i64 {LDC}, i64 %nvg)
          br label %crownext
        crownext:
          %cstep = select i1 %cbig, i64 {MR}, i64 1
          %cr1 = add i64 %cr, %cstep
          %crm = icmp ult i64 %cr1, %cvalid
          br i1 %crm, label %crow, label %cpannext
        cpannext:
          %ct1 = add i64 %ct, 1
          %cpm = icmp ult i64 %ct1, %cnp
          br i1 %cpm, label %cpan, label %cepi0
        cepi0:
          %eb0 = mul i64 %t0, 16
          %erows0 = mul i64 %cnp, 16
          %erest = sub i64 %m, %eb0
          %erf = icmp ult i64 %erest, %erows0
          %erows = select i1 %erf, i64 %erest, i64 %erows0
          %eyi0 = mul i64 %im, %oc
          %eyi = mul i64 %eyi0, %m
          br label %cepi
        cepi:
          %er = phi i64 [ 0, %cepi0 ], [ %er1, %cepinext ]
          %epsp = getelementptr i32, ptr %PS, i64 %er
          %eps = load i32, ptr %epsp, align 4
          %epos = add i64 %eb0, %er
          %ecr = mul i64 %er, {LDC}
          %heyp0 = add i64 %eyi, %epos
          br label %cepj
        cepj:
          %hej = phi i64 [ 0, %cepi ], [ %hej1, %cepj ]
          %ecg = add i64 %chg, %hej
          %ech = mul i64 %ecg, 16
          %ecl = sub i64 %og, %ech
          %ecf = icmp ult i64 %ecl, 16
          %hecnt = select i1 %ecf, i64 %ecl, i64 16
          %hej16 = mul i64 %hej, 16
          %heco = add i64 %ecr, %hej16
          %hecp = getelementptr i32, ptr %CB, i64 %heco
          %ewz = getelementptr i32, ptr %wz, i64 %ech
          %efx = getelementptr i32, ptr %fix, i64 %ech
          %eml = getelementptr float, ptr %mult, i64 %ech
          %eyc = mul i64 %ech, %m
          %heyo = add i64 %heyp0, %eyc
          %heyp = getelementptr i8, ptr %y, i64 %heyo
          call void @q8_epc16(ptr %hecp, i32 %eps, ptr %ewz, ptr %efx, ptr %eml, i32 %zp32, i32 %lo32, i32 %hi32, ptr %heyp, i64 %m, i64 %hecnt)
          %hej1 = add i64 %hej, 1
          %hejm = icmp ult i64 %hej1, %nvg
          br i1 %hejm, label %cepj, label %cepinext
        cepinext:
          %er1 = add i64 %er, 1
          %erm = icmp ult i64 %er1, %erows
          br i1 %erm, label %cepi, label %cgnext
        cgnext:
          %chg1 = add i64 %chg, %nvg
          %cgm = icmp ult i64 %chg1, %nbc
          br i1 %cgm, label %cgrp, label %chunknext
        """.replace("{MR}", Integer.toString(t[0])).replace("{NV}", Integer.toString(t[1]))
        .replace("{LDC}", Integer.toString(16 * t[1]));
  }
}
