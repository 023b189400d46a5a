package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of the int8 product {@code C[i][j] = sum_p A[i][p] * B[j][p]} (int32, wrapping) of u8 activations A
 * and s8 weights B, the raw dot products behind quantized linear and convolution (zero points and bias are applied
 * by the caller, {@code dev.kiln.runtime.interp.QuantGemmNode}). One exported entry point with the segment
 * signature, so the runtime links and calls it like a native segment:
 *
 * <pre>void kiln_q8_gemm(ptr args, i32 tid, i32 nthreads)
 * args: { ptr a, ptr b, ptr c, i64 m, i64 nb, i64 kq }   (layout: dev.kiln.runtime.nativelib.Int8Step)</pre>
 *
 * <ul>
 *   <li>A: m rows of {@code 4 kq} bytes (row-major, zero padded past k);
 *   <li>B: {@code nb} panels of 16 output channels; panel t holds, for each group of 4 depths q, 16 x 4 bytes
 *       {@code B[16t + c][4q + e]} at {@code (t kq + q) 64 + 4c + e} (zeros past n and k);
 *   <li>C: m rows of {@code 16 nb} int32.
 * </ul>
 *
 * Thread {@code tid} of {@code nthreads} computes the rows {@code [m tid / n, m (tid + 1) / n)}; each C element is one
 * sum of its own, so the thread count cannot change a result. The micro-kernel keeps a {@code MR x NV} tile of
 * 16-lane int32 accumulators: per group of 4 depths it broadcasts 4 bytes of each A row and multiplies them with NV
 * panel vectors. With AVX-512 VNNI that is {@code llvm.x86.avx512.vpdpbusd.512} (u8 x s8, four products summed into
 * each int32 lane, no saturation); without it an exact generic form: bytes widened to i16 (a u8 x s8 product fits:
 * |p| <= 255 * 128), products summed in pairs and again in pairs as i32 — never {@code vpmaddubsw}, which saturates.
 * Addition modulo 2^32 is associative, so both forms give the same bits.
 *
 * <p>The module also holds the micro-kernels under {@code @q8_tile_R_V} / {@code @q8_rows_R} (A rows broadcast, u8;
 * B panels, s8) and {@code @q8t_tile_R_V} / {@code @q8t_rows_R} with the roles swapped (A rows s8 weights broadcast,
 * B panels u8 activations, {@link Int8ConvIr}), which the whole-node routines call.
 */
final class Int8GemmIr {
  private Int8GemmIr() {}

  /** The entry point's name. */
  static final String SYMBOL = "kiln_q8_gemm";

  /**
   * @param vnni emit {@code vpdpbusd} (the target must have avx512vnni), else the generic widening form
   */
  static String module(boolean vnni) {
    return tiles(vnni) + driver(4);
  }

  /** The micro-kernels alone (internal functions), without the exported {@code kiln_q8_gemm}. */
  static String tiles(boolean vnni) {
    int mr = 4, nv = vnni ? 4 : 2;
    StringBuilder s = new StringBuilder();
    if (vnni) s.append("declare <16 x i32> @llvm.x86.avx512.vpdpbusd.512(<16 x i32>, <16 x i32>, <16 x i32>)\n\n");
    else s.append(genericDot());
    for (String t : new String[] {"q8", "q8t"}) {
      boolean swap = t.equals("q8t");
      s.append(tile(t, mr, nv, vnni, swap)).append(tile(t, mr, 1, vnni, swap)).append(tile(t, 1, nv, vnni, swap))
          .append(tile(t, 1, 1, vnni, swap));
      s.append(rowBlock(t, mr, nv)).append(rowBlock(t, 1, nv));
    }
    int[] ch = chanTile(vnni);
    for (int r : new int[] {ch[0], 1}) {
      for (int v = 1; v <= ch[1]; v++) s.append(tile("q8p", r, v, vnni, false, 6));
      s.append(cols("q8p", r, ch[1]));
    }
    return s.toString();
  }

  /**
   * The register tile {MR, NV} of the convolution's channel-panel form ({@link Int8ConvChanIr}: output positions
   * broadcast from the packed activation panels, rows 4 bytes apart and 64 bytes per group of 4 depths, against NV
   * panels of 16 output channels): 8 x 3 with VNNI, 4 x 2 on the generic form.
   */
  static int[] chanTile(boolean vnni) {
    return vnni ? new int[] {8, 3} : new int[] {4, 2};
  }

  /** {@code P_cols_R(ptr a, i64 lda, ptr b, i64 kq, ptr c, i64 ldc, i64 nv)}: R rows against nv (1..V) panels. */
  private static String cols(String prefix, int r, int v) {
    StringBuilder s = new StringBuilder();
    s.append("define internal void @").append(prefix).append("_cols_").append(r)
        .append("(ptr noalias %a, i64 %lda, ptr noalias %b, i64 %kq, ptr noalias %c, i64 %ldc, i64 %nv) nounwind {\nentry:\n");
    s.append("  switch i64 %nv, label %n").append(v).append(" [");
    for (int u = 1; u < v; u++) s.append(" i64 ").append(u).append(", label %n").append(u);
    s.append(" ]\n");
    for (int u = 1; u <= v; u++)
      s.append("n").append(u).append(":\n  call void @").append(prefix).append("_tile_").append(r).append('_').append(u)
          .append("(ptr %a, i64 %lda, ptr %b, i64 %kq, ptr %c, i64 %ldc)\n  ret void\n");
    return s.append("}\n\n").toString();
  }

  /** acc + (4 u8 x s8 products summed per lane), exactly, in plain IR. */
  private static String genericDot() {
    return """
        define internal <16 x i32> @q8_dot(<16 x i32> %acc, <16 x i32> %a, <16 x i32> %b) alwaysinline nounwind {
          %a8 = bitcast <16 x i32> %a to <64 x i8>
          %b8 = bitcast <16 x i32> %b to <64 x i8>
          %a16 = zext <64 x i8> %a8 to <64 x i16>
          %b16 = sext <64 x i8> %b8 to <64 x i16>
          %p = mul <64 x i16> %a16, %b16
          %pe = shufflevector <64 x i16> %p, <64 x i16> poison, <32 x i32> <%EVEN32%>
          %po = shufflevector <64 x i16> %p, <64 x i16> poison, <32 x i32> <%ODD32%>
          %pe32 = sext <32 x i16> %pe to <32 x i32>
          %po32 = sext <32 x i16> %po to <32 x i32>
          %s2 = add <32 x i32> %pe32, %po32
          %se = shufflevector <32 x i32> %s2, <32 x i32> poison, <16 x i32> <%EVEN16%>
          %so = shufflevector <32 x i32> %s2, <32 x i32> poison, <16 x i32> <%ODD16%>
          %s4 = add <16 x i32> %se, %so
          %r = add <16 x i32> %acc, %s4
          ret <16 x i32> %r
        }

        """.replace("%EVEN32%", lanes(32, 0)).replace("%ODD32%", lanes(32, 1)).replace("%EVEN16%", lanes(16, 0))
        .replace("%ODD16%", lanes(16, 1));
  }

  private static String lanes(int n, int first) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ", ").append("i32 ").append(2 * i + first);
    return b.toString();
  }

  /**
   * {@code q8_tile_R_V(ptr a, i64 lda, ptr b, i64 kq, ptr c, i64 ldc)}: rows a, a + lda.. (R of them) against V
   * panels from b; stores the R x 16V tile at c (row stride ldc int32).
   */
  private static String tile(String prefix, int r, int v, boolean vnni, boolean swap) {
    return tile(prefix, r, v, vnni, swap, 2);
  }

  /** As above, A's group of 4 depths q at {@code a + lda i + (q << aShift)} (2: row-major rows; 6: panel layout). */
  private static String tile(String prefix, int r, int v, boolean vnni, boolean swap, int aShift) {
    StringBuilder s = new StringBuilder();
    s.append("define internal void @").append(prefix).append("_tile_").append(r).append('_').append(v)
        .append("(ptr noalias %a, i64 %lda, ptr noalias %b, i64 %kq, ptr noalias %c, i64 %ldc) alwaysinline nounwind {\n");
    s.append("entry:\n");
    for (int i = 0; i < r; i++) s.append("  %ar").append(i).append(" = mul i64 %lda, ").append(i).append('\n');
    for (int j = 0; j < v; j++) s.append("  %bk").append(j).append(" = mul i64 %kq, ").append(j).append('\n');
    s.append("  br label %loop\nloop:\n  %q = phi i64 [ 0, %entry ], [ %q1, %loop ]\n");
    for (int i = 0; i < r; i++)
      for (int j = 0; j < v; j++)
        s.append("  %acc").append(i).append('_').append(j).append(" = phi <16 x i32> [ zeroinitializer, %entry ], [ %n")
            .append(i).append('_').append(j).append(", %loop ]\n");
    s.append("  %q4 = shl i64 %q, ").append(aShift).append('\n');
    for (int i = 0; i < r; i++) {
      s.append("  %ao").append(i).append(" = add i64 %q4, %ar").append(i).append('\n');
      s.append("  %ap").append(i).append(" = getelementptr i8, ptr %a, i64 %ao").append(i).append('\n');
      s.append("  %as").append(i).append(" = load i32, ptr %ap").append(i).append(", align 1\n");
      s.append("  %ai").append(i).append(" = insertelement <16 x i32> poison, i32 %as").append(i).append(", i64 0\n");
      s.append("  %av").append(i).append(" = shufflevector <16 x i32> %ai").append(i).append(", <16 x i32> poison, <16 x i32> zeroinitializer\n");
    }
    for (int j = 0; j < v; j++) {
      s.append("  %bq").append(j).append(" = add i64 %q, %bk").append(j).append('\n');
      s.append("  %bp").append(j).append(" = getelementptr <16 x i32>, ptr %b, i64 %bq").append(j).append('\n');
      s.append("  %bv").append(j).append(" = load <16 x i32>, ptr %bp").append(j).append(", align 64\n");
    }
    String dot = vnni ? "@llvm.x86.avx512.vpdpbusd.512" : "@q8_dot";
    for (int i = 0; i < r; i++)
      for (int j = 0; j < v; j++)
        s.append("  %n").append(i).append('_').append(j).append(" = call <16 x i32> ").append(dot).append("(<16 x i32> %acc")
            .append(i).append('_').append(j).append(swap ? ", <16 x i32> %bv" + j + ", <16 x i32> %av" + i : ", <16 x i32> %av" + i + ", <16 x i32> %bv" + j).append(")\n");
    s.append("  %q1 = add nuw nsw i64 %q, 1\n  %more = icmp ult i64 %q1, %kq\n  br i1 %more, label %loop, label %done\ndone:\n");
    for (int i = 0; i < r; i++) {
      s.append("  %cr").append(i).append(" = mul i64 %ldc, ").append(i).append('\n');
      for (int j = 0; j < v; j++) {
        String t = i + "_" + j;
        s.append("  %ci").append(t).append(" = add i64 %cr").append(i).append(", ").append(16 * j).append('\n');
        s.append("  %cp").append(t).append(" = getelementptr i32, ptr %c, i64 %ci").append(t).append('\n');
        s.append("  store <16 x i32> %n").append(t).append(", ptr %cp").append(t).append(", align 4\n");
      }
    }
    s.append("  ret void\n}\n\n");
    return s.toString();
  }

  /**
   * {@code q8_rows_R(ptr a, i64 lda, ptr b, i64 kq, ptr c, i64 ldc, i64 nb)}: R rows against every panel, V panels at
   * a time, then the remaining panels one at a time.
   */
  private static String rowBlock(String prefix, int r, int v) {
    return """
        define internal void @{P}_rows_{R}(ptr noalias %a, i64 %lda, ptr noalias %b, i64 %kq, ptr noalias %c, i64 %ldc, i64 %nb) nounwind {
        entry:
          %panel = mul i64 %kq, 64
          br label %wide
        wide:
          %t = phi i64 [ 0, %entry ], [ %t1, %widebody ]
          %tv = add i64 %t, {V}
          %fits = icmp ule i64 %tv, %nb
          br i1 %fits, label %widebody, label %narrow
        widebody:
          %bo = mul i64 %t, %panel
          %bp = getelementptr i8, ptr %b, i64 %bo
          %co = mul i64 %t, 16
          %cp = getelementptr i32, ptr %c, i64 %co
          call void @{P}_tile_{R}_{V}(ptr %a, i64 %lda, ptr %bp, i64 %kq, ptr %cp, i64 %ldc)
          %t1 = add i64 %t, {V}
          br label %wide
        narrow:
          %u = phi i64 [ %t, %wide ], [ %u1, %narrowbody ]
          %left = icmp ult i64 %u, %nb
          br i1 %left, label %narrowbody, label %exit
        narrowbody:
          %bo1 = mul i64 %u, %panel
          %bp1 = getelementptr i8, ptr %b, i64 %bo1
          %co1 = mul i64 %u, 16
          %cp1 = getelementptr i32, ptr %c, i64 %co1
          call void @{P}_tile_{R}_1(ptr %a, i64 %lda, ptr %bp1, i64 %kq, ptr %cp1, i64 %ldc)
          %u1 = add i64 %u, 1
          br label %narrow
        exit:
          ret void
        }

        """.replace("{P}", prefix).replace("{R}", Integer.toString(r)).replace("{V}", Integer.toString(v));
  }

  /** The entry point: this thread's rows, MR at a time, then one at a time. */
  private static String driver(int mr) {
    return """
        define void @{SYMBOL}(ptr %args, i32 %tid, i32 %nt) nounwind {
        entry:
          %a = load ptr, ptr %args, align 8
          %bslot = getelementptr i8, ptr %args, i64 8
          %b = load ptr, ptr %bslot, align 8
          %cslot = getelementptr i8, ptr %args, i64 16
          %c = load ptr, ptr %cslot, align 8
          %mslot = getelementptr i8, ptr %args, i64 24
          %m = load i64, ptr %mslot, align 8
          %nbslot = getelementptr i8, ptr %args, i64 32
          %nb = load i64, ptr %nbslot, align 8
          %kqslot = getelementptr i8, ptr %args, i64 40
          %kq = load i64, ptr %kqslot, align 8
          %lda = mul i64 %kq, 4
          %ldc = mul i64 %nb, 16
          %tid64 = sext i32 %tid to i64
          %nt64 = sext i32 %nt to i64
          %lo0 = mul i64 %m, %tid64
          %lo = udiv i64 %lo0, %nt64
          %tid1 = add i64 %tid64, 1
          %hi0 = mul i64 %m, %tid1
          %hi = udiv i64 %hi0, %nt64
          br label %block
        block:
          %i = phi i64 [ %lo, %entry ], [ %i1, %blockbody ]
          %iv = add i64 %i, {MR}
          %fits = icmp ule i64 %iv, %hi
          br i1 %fits, label %blockbody, label %single
        blockbody:
          %ao = mul i64 %i, %lda
          %ap = getelementptr i8, ptr %a, i64 %ao
          %co = mul i64 %i, %ldc
          %cp = getelementptr i32, ptr %c, i64 %co
          call void @q8_rows_{MR}(ptr %ap, i64 %lda, ptr %b, i64 %kq, ptr %cp, i64 %ldc, i64 %nb)
          %i1 = add i64 %i, {MR}
          br label %block
        single:
          %r = phi i64 [ %i, %block ], [ %r1, %singlebody ]
          %left = icmp ult i64 %r, %hi
          br i1 %left, label %singlebody, label %exit
        singlebody:
          %ao1 = mul i64 %r, %lda
          %ap1 = getelementptr i8, ptr %a, i64 %ao1
          %co1 = mul i64 %r, %ldc
          %cp1 = getelementptr i32, ptr %c, i64 %co1
          call void @q8_rows_1(ptr %ap1, i64 %lda, ptr %b, i64 %kq, ptr %cp1, i64 %ldc, i64 %nb)
          %r1 = add i64 %r, 1
          br label %single
        exit:
          ret void
        }
        """.replace("{SYMBOL}", SYMBOL).replace("{MR}", Integer.toString(mr));
  }
}
