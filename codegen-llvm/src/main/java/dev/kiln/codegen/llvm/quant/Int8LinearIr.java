package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of a whole quantized linear node in one call: {@code q.linear_dynamic} (x quantized to qu8 from its
 * own min/max, {@link Int8ScalarIr}) and {@code q.linear[_relu]} (qi8 inputs shifted to u8 by xor 0x80), each row's
 * u8 bytes and their sum, the product on {@link Int8GemmIr}'s micro-kernels (rows of x broadcast against the packed
 * weight panels), and the epilogue with the zero-point corrections: linear_dynamic's
 * {@code float(acc - wz rx + k z wz - z cw) * (w_scale * x_scale) + bias} (two float roundings), the static ops'
 * {@code requant(acc - wz rx + k x0 wz - x0 cw + bias_q)}. The same expressions as
 * {@code dev.kiln.runtime.interp.QuantGemmNode}, so the interpreter's bits.
 *
 * <pre>void kiln_q8_linear(ptr args, i32 tid, i32 nthreads)   (args layout: dev.kiln.runtime.nativelib.Int8Node)</pre>
 *
 * Thread tid of the first min(nthreads, slots) computes the rows {@code [rows tid / w, rows (tid + 1) / w)} with the
 * scratch slot tid (4 rows of A, their sums, 4 rows of int32 accumulators); the others return. Each output element is
 * computed by one thread with the same operations whatever the split, so the thread count cannot change a result.
 * Dynamic nodes compute the quantization parameters over all of x in every thread.
 */
final class Int8LinearIr {
  private Int8LinearIr() {}

  static final String SYMBOL = "kiln_q8_linear";

  /** Argument slots (8 bytes each), in order. */
  static final String[] SLOTS = {"x", "y", "b", "cw", "wz", "mult", "biasf", "biasq", "scratch", "sstride", "slots", "rows",
      "k", "n", "nb", "kq", "dyn", "xor", "x0", "zp", "lo", "hi", "coff", "soff"};

  static String loads(String[] slots) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < slots.length; i++) {
      boolean ptr = switch (slots[i]) {
        case "x", "y", "b", "w", "cw", "wz", "mult", "fix", "biasf", "biasq", "scratch", "offs", "posoff" -> true;
        default -> false;
      };
      s.append("  %").append(slots[i]).append(".p = getelementptr i8, ptr %args, i64 ").append(8 * i).append('\n');
      s.append("  %").append(slots[i]).append(" = load ").append(ptr ? "ptr" : "i64").append(", ptr %").append(slots[i])
          .append(".p, align 8\n");
    }
    return s.toString();
  }

  static String functions() {
    return """
        define internal i32 @q8_row_dyn(ptr noalias %x, i64 %k, float %inv, float %zf, ptr noalias %a) nounwind {
        entry:
          %e = icmp eq i64 %k, 0
          br i1 %e, label %done, label %loop
        loop:
          %j = phi i64 [ 0, %entry ], [ %j1, %loop ]
          %s = phi i32 [ 0, %entry ], [ %s1, %loop ]
          %xp = getelementptr float, ptr %x, i64 %j
          %xv = load float, ptr %xp, align 4
          %q = call i32 @q8_quant(float %xv, float %inv, float %zf)
          %qb = trunc i32 %q to i8
          %ap = getelementptr i8, ptr %a, i64 %j
          store i8 %qb, ptr %ap, align 1
          %s1 = add i32 %s, %q
          %j1 = add nuw i64 %j, 1
          %more = icmp ult i64 %j1, %k
          br i1 %more, label %loop, label %done
        done:
          %r = phi i32 [ 0, %entry ], [ %s1, %loop ]
          ret i32 %r
        }

        define internal i32 @q8_row_u8(ptr noalias %x, i64 %k, i8 %xor, ptr noalias %a) nounwind {
        entry:
          %e = icmp eq i64 %k, 0
          br i1 %e, label %done, label %loop
        loop:
          %j = phi i64 [ 0, %entry ], [ %j1, %loop ]
          %s = phi i32 [ 0, %entry ], [ %s1, %loop ]
          %xp = getelementptr i8, ptr %x, i64 %j
          %xv = load i8, ptr %xp, align 1
          %u = xor i8 %xv, %xor
          %ap = getelementptr i8, ptr %a, i64 %j
          store i8 %u, ptr %ap, align 1
          %w = zext i8 %u to i32
          %s1 = add i32 %s, %w
          %j1 = add nuw i64 %j, 1
          %more = icmp ult i64 %j1, %k
          br i1 %more, label %loop, label %done
        done:
          %r = phi i32 [ 0, %entry ], [ %s1, %loop ]
          ret i32 %r
        }

        ; y[o] = float(c[o] - wz[o] sum + k z wz[o] - z cw[o]) * (mult[o] * xs) + bias[o]
        define internal void @q8_epi_dyn(ptr noalias %c, ptr noalias %y, i64 %n, i32 %sum, i32 %k, i32 %z, float %xs,
            ptr noalias %wz, ptr noalias %cw, ptr noalias %mult, ptr noalias %bias) nounwind {
        entry:
          %kz = mul i32 %k, %z
          %e = icmp eq i64 %n, 0
          br i1 %e, label %done, label %loop
        loop:
          %o = phi i64 [ 0, %entry ], [ %o1, %loop ]
          %cp = getelementptr i32, ptr %c, i64 %o
          %acc = load i32, ptr %cp, align 4
          %wzp = getelementptr i32, ptr %wz, i64 %o
          %w0 = load i32, ptr %wzp, align 4
          %cwp = getelementptr i32, ptr %cw, i64 %o
          %cwv = load i32, ptr %cwp, align 4
          %mp = getelementptr float, ptr %mult, i64 %o
          %mv = load float, ptr %mp, align 4
          %bp = getelementptr float, ptr %bias, i64 %o
          %bv = load float, ptr %bp, align 4
          %f0 = mul i32 %kz, %w0
          %f1 = mul i32 %z, %cwv
          %fix = sub i32 %f0, %f1
          %ws = mul i32 %w0, %sum
          %v0 = sub i32 %acc, %ws
          %v = add i32 %v0, %fix
          %m = fmul float %mv, %xs
          %vf = sitofp i32 %v to float
          %p = fmul float %vf, %m
          %r = fadd float %p, %bv
          %yp = getelementptr float, ptr %y, i64 %o
          store float %r, ptr %yp, align 4
          %o1 = add nuw i64 %o, 1
          %more = icmp ult i64 %o1, %n
          br i1 %more, label %loop, label %done
        done:
          ret void
        }

        ; y[o] = requant(c[o] - wz[o] sum + k x0 wz[o] - x0 cw[o] + bq[o], mult[o])
        define internal void @q8_epi_static(ptr noalias %c, ptr noalias %y, i64 %n, i64 %ys, i32 %sum, i32 %k, i32 %x0,
            ptr noalias %wz, ptr noalias %cw, ptr noalias %mult, ptr noalias %bq, i32 %zp, i32 %lo, i32 %hi) nounwind {
        entry:
          %kx = mul i32 %k, %x0
          %e = icmp eq i64 %n, 0
          br i1 %e, label %done, label %loop
        loop:
          %o = phi i64 [ 0, %entry ], [ %o1, %loop ]
          %cp = getelementptr i32, ptr %c, i64 %o
          %acc = load i32, ptr %cp, align 4
          %wzp = getelementptr i32, ptr %wz, i64 %o
          %w0 = load i32, ptr %wzp, align 4
          %cwp = getelementptr i32, ptr %cw, i64 %o
          %cwv = load i32, ptr %cwp, align 4
          %mp = getelementptr float, ptr %mult, i64 %o
          %mv = load float, ptr %mp, align 4
          %bp = getelementptr i32, ptr %bq, i64 %o
          %bv = load i32, ptr %bp, align 4
          %f0 = mul i32 %kx, %w0
          %f1 = mul i32 %x0, %cwv
          %f2 = sub i32 %f0, %f1
          %fix = add i32 %f2, %bv
          %ws = mul i32 %w0, %sum
          %v0 = sub i32 %acc, %ws
          %v = add i32 %v0, %fix
          %q = call i32 @q8_requant(i32 %v, float %mv, i32 %zp, i32 %lo, i32 %hi)
          %qb = trunc i32 %q to i8
          %yo = mul i64 %o, %ys
          %yp = getelementptr i8, ptr %y, i64 %yo
          store i8 %qb, ptr %yp, align 1
          %o1 = add nuw i64 %o, 1
          %more = icmp ult i64 %o1, %n
          br i1 %more, label %loop, label %done
        done:
          ret void
        }

        define void @{SYMBOL}(ptr %args, i32 %tid, i32 %nt) nounwind {
        entry:
          %prm = alloca [4 x i32], align 16
          store [4 x i32] zeroinitializer, ptr %prm, align 16
        {LOADS}
          %tid64 = sext i32 %tid to i64
          %nt64 = sext i32 %nt to i64
          %few = icmp slt i64 %nt64, %slots
          %wc = select i1 %few, i64 %nt64, i64 %slots
          %act = icmp slt i64 %tid64, %wc
          br i1 %act, label %go, label %exit
        go:
          %lo0 = mul i64 %rows, %tid64
          %rlo = udiv i64 %lo0, %wc
          %tid1 = add i64 %tid64, 1
          %hi0 = mul i64 %rows, %tid1
          %rhi = udiv i64 %hi0, %wc
          %so = mul i64 %tid64, %sstride
          %A = getelementptr i8, ptr %scratch, i64 %so
          %C = getelementptr i8, ptr %A, i64 %coff
          %S = getelementptr i8, ptr %A, i64 %soff
          %kp = mul i64 %kq, 4
          %ldc = mul i64 %nb, 16
          %k32 = trunc i64 %k to i32
          %xor8 = trunc i64 %xor to i8
          %zp32 = trunc i64 %zp to i32
          %lo32 = trunc i64 %lo to i32
          %hi32 = trunc i64 %hi to i32
          %isdyn = icmp ne i64 %dyn, 0
          br i1 %isdyn, label %dparams, label %sparams
        dparams:
          %cnt = mul i64 %rows, %k
          call void @q8_dyn_params(ptr %x, i64 %cnt, ptr %prm)
          br label %sparams
        sparams:
          %xsp = getelementptr i8, ptr %prm, i64 0
          %xs = load float, ptr %xsp, align 4
          %invp = getelementptr i8, ptr %prm, i64 4
          %inv = load float, ptr %invp, align 4
          %zpp = getelementptr i8, ptr %prm, i64 8
          %z = load i32, ptr %zpp, align 4
          %x0s = trunc i64 %x0 to i32
          %xz = select i1 %isdyn, i32 %z, i32 %x0s
          %zf = sitofp i32 %z to float
          br label %block
        block:
          %r = phi i64 [ %rlo, %sparams ], [ %rn, %epidone ]
          %left = icmp ult i64 %r, %rhi
          br i1 %left, label %fill, label %exit
        fill:
          %rem = sub i64 %rhi, %r
          %big = icmp uge i64 %rem, 4
          %R = select i1 %big, i64 4, i64 %rem
          br label %fillrow
        fillrow:
          %i = phi i64 [ 0, %fill ], [ %i1, %filled ]
          %row = add i64 %r, %i
          %ao = mul i64 %i, %kp
          %ap = getelementptr i8, ptr %A, i64 %ao
          %sp = getelementptr i32, ptr %S, i64 %i
          %xo = mul i64 %row, %k
          br i1 %isdyn, label %filld, label %fills
        filld:
          %xpf = getelementptr float, ptr %x, i64 %xo
          %sd = call i32 @q8_row_dyn(ptr %xpf, i64 %k, float %inv, float %zf, ptr %ap)
          br label %filled
        fills:
          %xpb = getelementptr i8, ptr %x, i64 %xo
          %ss = call i32 @q8_row_u8(ptr %xpb, i64 %k, i8 %xor8, ptr %ap)
          br label %filled
        filled:
          %sv = phi i32 [ %sd, %filld ], [ %ss, %fills ]
          store i32 %sv, ptr %sp, align 4
          %i1 = add i64 %i, 1
          %fmore = icmp ult i64 %i1, %R
          br i1 %fmore, label %fillrow, label %gemm
        gemm:
          br i1 %big, label %gemm4, label %gemm1
        gemm4:
          call void @q8_rows_4(ptr %A, i64 %kp, ptr %b, i64 %kq, ptr %C, i64 %ldc, i64 %nb)
          br label %epi
        gemm1:
          %g = phi i64 [ 0, %gemm ], [ %g1, %gemm1 ]
          %gao = mul i64 %g, %kp
          %gap = getelementptr i8, ptr %A, i64 %gao
          %gco = mul i64 %g, %ldc
          %gcp = getelementptr i32, ptr %C, i64 %gco
          call void @q8_rows_1(ptr %gap, i64 %kp, ptr %b, i64 %kq, ptr %gcp, i64 %ldc, i64 %nb)
          %g1 = add i64 %g, 1
          %gmore = icmp ult i64 %g1, %R
          br i1 %gmore, label %gemm1, label %epi
        epi:
          %e = phi i64 [ 0, %gemm4 ], [ 0, %gemm1 ], [ %e1, %epinext ]
          %erow = add i64 %r, %e
          %eco = mul i64 %e, %ldc
          %ecp = getelementptr i32, ptr %C, i64 %eco
          %esp = getelementptr i32, ptr %S, i64 %e
          %es = load i32, ptr %esp, align 4
          %yo = mul i64 %erow, %n
          br i1 %isdyn, label %epid, label %epis
        epid:
          %ypf = getelementptr float, ptr %y, i64 %yo
          call void @q8_epi_dyn(ptr %ecp, ptr %ypf, i64 %n, i32 %es, i32 %k32, i32 %xz, float %xs, ptr %wz, ptr %cw, ptr %mult, ptr %biasf)
          br label %epinext
        epis:
          %ypb = getelementptr i8, ptr %y, i64 %yo
          call void @q8_epi_static(ptr %ecp, ptr %ypb, i64 %n, i64 1, i32 %es, i32 %k32, i32 %xz, ptr %wz, ptr %cw, ptr %mult, ptr %biasq, i32 %zp32, i32 %lo32, i32 %hi32)
          br label %epinext
        epinext:
          %e1 = add i64 %e, 1
          %emore = icmp ult i64 %e1, %R
          br i1 %emore, label %epi, label %epidone
        epidone:
          %rn = add i64 %r, %R
          br label %block
        exit:
          ret void
        }

        """.replace("{SYMBOL}", SYMBOL).replace("{LOADS}", loads(SLOTS));
  }
}
