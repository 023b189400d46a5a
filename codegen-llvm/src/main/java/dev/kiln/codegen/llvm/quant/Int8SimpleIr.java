package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of the element-wise and pooling int8 nodes, each one call with the segment signature
 * ({@code void f(ptr args, i32 tid, i32 nthreads)}; thread tid takes the elements or planes
 * {@code [n tid / nt, n (tid + 1) / nt)}), computing what the reference kernels compute
 * ({@code dev.kiln.runtime.interp.QuantPoolKernels}, {@code QuantKernels}); the argument blocks are written by
 * {@code dev.kiln.runtime.nativelib.Int8Simple}, which also decides which graphs qualify:
 *
 * <ul>
 *   <li>{@code kiln_q8_add} {x, y, out, n, am, bm, zpp, shift, mask, thr, zp, lo, hi}: qnnpack's qu8 add,
 *       {@code acc = zpp + x am + y bm} in int32, rounded shift right ({@code rem = (acc & mask) - (acc < 0)}, plus one
 *       when rem > thr), plus zp, clamped ({@code lo = zp} with a fused relu);
 *   <li>{@code kiln_q8_maxpool} {x, out, planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, signed, acc, slots}: the
 *       max of the raw integers over each window, padded taps skipped (acc: slots rows of ow i16, one per thread);
 *   <li>{@code kiln_q8_quantize} {x, out, n, inv, zp, lo, hi} (floats inv and zp in the low 4 bytes of their slots):
 *       {@code quantize(x, inv, zp, lo, hi)};
 *   <li>{@code kiln_q8_dequantize} {x, out, n, zp, scale, signed} (floats): {@code (float(q) - zp) * scale};
 *   <li>{@code kiln_q8_avgpool} ({@link Int8AvgPoolIr}), {@code kiln_q8_requant} and {@code kiln_q8_addx}
 *       ({@link Int8RequantIr}), {@code kiln_q8_matmul} ({@link Int8MatmulIr}), whose argument blocks
 *       {@code runtime.nativelib.Int8Extra} writes.
 * </ul>
 */
final class Int8SimpleIr {
  private Int8SimpleIr() {}

  static final String ADD = "kiln_q8_add", MAXPOOL = "kiln_q8_maxpool", QUANTIZE = "kiln_q8_quantize",
      DEQUANTIZE = "kiln_q8_dequantize";

  /**
   * The exported entry {@code sym(args, tid, nt)}, which loads the pointer slots and calls {@code sym_body} with them
   * as noalias parameters (so its loops vectorize without run-time overlap checks), and the head of that body up to
   * the loads of the other slots.
   */
  static String header(String sym, String[] slots, String ptrs, String floats) {
    StringBuilder s = new StringBuilder("define void @" + sym + "(ptr %args, i32 %tid, i32 %nt) nounwind {\nentry:\n");
    StringBuilder params = new StringBuilder(), args = new StringBuilder();
    for (int i = 0; i < slots.length; i++) {
      if (!(" " + ptrs + " ").contains(" " + slots[i] + " ")) continue;
      s.append("  %").append(slots[i]).append(".p = getelementptr i8, ptr %args, i64 ").append(8 * i).append('\n');
      s.append("  %").append(slots[i]).append(" = load ptr, ptr %").append(slots[i]).append(".p, align 8\n");
      params.append("ptr noalias %").append(slots[i]).append(", ");
      args.append("ptr %").append(slots[i]).append(", ");
    }
    s.append("  call void @").append(sym).append("_body(").append(args).append("ptr %args, i32 %tid, i32 %nt)\n  ret void\n}\n\n");
    s.append("define internal void @").append(sym).append("_body(").append(params).append("ptr %args, i32 %tid, i32 %nt) nounwind {\nentry:\n");
    StringBuilder rest = new StringBuilder();
    for (int i = 0; i < slots.length; i++) {
      String n = slots[i];
      if ((" " + ptrs + " ").contains(" " + n + " ")) continue;
      String t = (" " + floats + " ").contains(" " + n + " ") ? "float" : "i64";
      rest.append("  %").append(n).append(".p = getelementptr i8, ptr %args, i64 ").append(8 * i).append('\n');
      rest.append("  %").append(n).append(" = load ").append(t).append(", ptr %").append(n).append(".p, align 8\n");
    }
    return s.append(rest).toString();
  }

  /** The thread's range [%lo0, %hi0) of %n items, then a branch to %body or %exit. */
  static String range(String n) {
    return """
          %tid64 = sext i32 %tid to i64
          %nt64 = sext i32 %nt to i64
          %r0 = mul i64 %N, %tid64
          %lo0 = udiv i64 %r0, %nt64
          %tid1 = add i64 %tid64, 1
          %r1 = mul i64 %N, %tid1
          %hi0 = udiv i64 %r1, %nt64
          %some = icmp ult i64 %lo0, %hi0
          br i1 %some, label %loop, label %exit
        """.replace("%N", n);
  }

  /**
   * qnnpack's integer add of two zero-extended operands {@code a}, {@code b} (i32) into {@code out} (i32, clamped):
   * {@code zpp + a*am + b*bm}, shifted right by {@code sh} rounding half away from zero through the mask and threshold,
   * plus the output zero point, clamped to {@code [lo, hi]} — QuantPoolKernels.add's arithmetic. Reads the i32 values
   * {@code %am32 %bm32 %zpp32 %mk32 %th32 %sh32 %zp32 %lo32 %hi32} of the caller; shared by {@code kiln_q8_add} and
   * {@code Int8RequantIr}'s {@code kiln_q8_addx}.
   */
  static String integerAdd(String a, String b, String out) {
    return """
          %xa = mul i32 @A@, %am32
          %ya = mul i32 @B@, %bm32
          %a0 = add i32 %zpp32, %xa
          %acc = add i32 %a0, %ya
          %ak = and i32 %acc, %mk32
          %neg = icmp slt i32 %acc, 0
          %negi = zext i1 %neg to i32
          %rem = sub i32 %ak, %negi
          %up = icmp sgt i32 %rem, %th32
          %upi = zext i1 %up to i32
          %sr = ashr i32 %acc, %sh32
          %q0 = add i32 %sr, %upi
          %q1 = add i32 %q0, %zp32
          %g = icmp sgt i32 %q1, %hi32
          %q2 = select i1 %g, i32 %hi32, i32 %q1
          %l = icmp slt i32 %q2, %lo32
          @OUT@ = select i1 %l, i32 %lo32, i32 %q2
        """.replace("@A@", a).replace("@B@", b).replace("@OUT@", out);
  }

  static String functions() {
    return add() + Int8PoolIr.maxPool() + quantize() + dequantize() + Int8AvgPoolIr.functions() + Int8RequantIr.functions()
        + Int8MatmulIr.functions();
  }

  /** The text that defines exported routine {@code symbol} (with the others of its file), or null for none of these. */
  static String functionsOf(String symbol) {
    return switch (symbol) {
      case ADD -> add();
      case MAXPOOL -> Int8PoolIr.maxPool();
      case QUANTIZE -> quantize();
      case DEQUANTIZE -> dequantize();
      case Int8AvgPoolIr.SYMBOL -> Int8AvgPoolIr.functions();
      case Int8RequantIr.REQUANT, Int8RequantIr.ADDX, Int8RequantIr.RELU -> Int8RequantIr.functions();
      case Int8MatmulIr.SYMBOL -> Int8MatmulIr.functions();
      default -> null;
    };
  }

  private static String add() {
    return header(ADD, new String[] {"x", "y", "out", "n", "am", "bm", "zpp", "shift", "mask", "thr", "zp", "lo", "hi"}, "x y out", "")
        + """
          %am32 = trunc i64 %am to i32
          %bm32 = trunc i64 %bm to i32
          %zpp32 = trunc i64 %zpp to i32
          %sh32 = trunc i64 %shift to i32
          %mk32 = trunc i64 %mask to i32
          %th32 = trunc i64 %thr to i32
          %zp32 = trunc i64 %zp to i32
          %lo32 = trunc i64 %lo to i32
          %hi32 = trunc i64 %hi to i32
        """ + range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %i1, %loop ]
          %xp = getelementptr i8, ptr %x, i64 %i
          %xb = load i8, ptr %xp, align 1
          %yp = getelementptr i8, ptr %y, i64 %i
          %yb = load i8, ptr %yp, align 1
          %xv = zext i8 %xb to i32
          %yv = zext i8 %yb to i32
        """ + integerAdd("%xv", "%yv", "%q3") + """
          %qb = trunc i32 %q3 to i8
          %op = getelementptr i8, ptr %out, i64 %i
          store i8 %qb, ptr %op, align 1
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }

  private static String quantize() {
    return header(QUANTIZE, new String[] {"x", "out", "n", "inv", "zp", "lo", "hi"}, "x out", "inv zp")
        + """
          %lof = sitofp i64 %lo to float
          %hif = sitofp i64 %hi to float
          %lo32 = trunc i64 %lo to i32
        """ + range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %i1, %loop ]
          %xp = getelementptr float, ptr %x, i64 %i
          %xv = load float, ptr %xp, align 4
          %m = fmul float %xv, %inv
          %r = call float @llvm.rint.f32(float %m)
          %v = fadd float %zp, %r
          %a = call float @llvm.fabs.f32(float %v)
          %ok = fcmp olt float %a, 0x43E0000000000000
          %below = fcmp olt float %v, %lof
          %above = fcmp ogt float %v, %hif
          %c0 = select i1 %above, float %hif, float %v
          %c1 = select i1 %below, float %lof, float %c0
          %ci = fptosi float %c1 to i32
          %q = select i1 %ok, i32 %ci, i32 %lo32
          %qb = trunc i32 %q to i8
          %op = getelementptr i8, ptr %out, i64 %i
          store i8 %qb, ptr %op, align 1
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }

  private static String dequantize() {
    return header(DEQUANTIZE, new String[] {"x", "out", "n", "zp", "scale", "signed"}, "x out", "zp scale")
        + """
          %sgn = icmp ne i64 %signed, 0
        """ + range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %i1, %loop ]
          %xp = getelementptr i8, ptr %x, i64 %i
          %b = load i8, ptr %xp, align 1
          %bs = sext i8 %b to i32
          %bz = zext i8 %b to i32
          %bv = select i1 %sgn, i32 %bs, i32 %bz
          %f = sitofp i32 %bv to float
          %d = fsub float %f, %zp
          %r = fmul float %d, %scale
          %op = getelementptr float, ptr %out, i64 %i
          store float %r, ptr %op, align 4
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }
}
