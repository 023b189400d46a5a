package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of {@code kiln_q8_avgpool} ({@link Int8SimpleIr}'s argument conventions), {@code q.adaptive_avg_pool2d}
 * as {@code QuantPoolKernels.adaptiveAvgPool2d}: per window the int32 sum of the raw integers, {@code acc = sum - zp
 * size}, then qnnpack's {@code cvtps(float(acc) * mult) + zp} clamped (when the windows tile a qu8 input) or PyTorch's
 * NHWC {@code quantize(float(acc), inv, zp, lo, hi)}. Arguments {x, out, rows, cols, mult, planes, h, w, oh, ow, zp,
 * lo, hi, qnnpack, signed}: rows and cols hold the windows' {@code [start, end)} per output row and column (i64
 * pairs), mult the float multiplier (qnnpack) or inverse scale (NHWC) per output position, computed in Java with the
 * reference's expressions ({@code runtime.nativelib.Int8Extra}). Threads split planes.
 */
final class Int8AvgPoolIr {
  private Int8AvgPoolIr() {}

  static final String SYMBOL = "kiln_q8_avgpool";

  static String functions() {
    return Int8SimpleIr.header(SYMBOL, new String[] {"x", "out", "rows", "cols", "mult", "planes", "h", "w", "oh", "ow", "zp", "lo", "hi", "qnnpack", "signed"}, "x out rows cols mult", "")
        + """
          %sgn = icmp ne i64 %signed, 0
          %qnn = icmp ne i64 %qnnpack, 0
          %zp32 = trunc i64 %zp to i32
          %lo32 = trunc i64 %lo to i32
          %hi32 = trunc i64 %hi to i32
          %zpf = sitofp i64 %zp to float
          %lof = sitofp i64 %lo to float
          %hif = sitofp i64 %hi to float
          %plane = mul i64 %h, %w
          %oplane = mul i64 %oh, %ow
        """ + Int8SimpleIr.range("%planes") + """
        loop:
          %c = phi i64 [ %lo0, %entry ], [ %c1, %rnext ]
          %xc0 = mul i64 %c, %plane
          %xc = getelementptr i8, ptr %x, i64 %xc0
          %oc0 = mul i64 %c, %oplane
          %oc = getelementptr i8, ptr %out, i64 %oc0
          br label %row
        row:
          %i = phi i64 [ 0, %loop ], [ %i1n, %rnext0 ]
          %ri0 = shl i64 %i, 1
          %rp0 = getelementptr i64, ptr %rows, i64 %ri0
          %h0 = load i64, ptr %rp0, align 8
          %rp1 = getelementptr i64, ptr %rp0, i64 1
          %h1 = load i64, ptr %rp1, align 8
          br label %col
        col:
          %j = phi i64 [ 0, %row ], [ %j1, %st ]
          %cj0 = shl i64 %j, 1
          %cp0 = getelementptr i64, ptr %cols, i64 %cj0
          %w0 = load i64, ptr %cp0, align 8
          %cp1 = getelementptr i64, ptr %cp0, i64 1
          %w1 = load i64, ptr %cp1, align 8
          %dh = sub i64 %h1, %h0
          %dw = sub i64 %w1, %w0
          %size = mul i64 %dh, %dw
          br label %wy
        wy:
          %yy = phi i64 [ %h0, %col ], [ %yy1, %wyn ]
          %s0 = phi i32 [ 0, %col ], [ %s3, %wyn ]
          %xro = mul i64 %yy, %w
          %xr = getelementptr i8, ptr %xc, i64 %xro
          br label %wx
        wx:
          %xx = phi i64 [ %w0, %wy ], [ %xx1, %wx ]
          %s1 = phi i32 [ %s0, %wy ], [ %s3, %wx ]
          %bp = getelementptr i8, ptr %xr, i64 %xx
          %b = load i8, ptr %bp, align 1
          %bs = sext i8 %b to i32
          %bz = zext i8 %b to i32
          %bv = select i1 %sgn, i32 %bs, i32 %bz
          %s3 = add i32 %s1, %bv
          %xx1 = add i64 %xx, 1
          %xm = icmp slt i64 %xx1, %w1
          br i1 %xm, label %wx, label %wyn
        wyn:
          %yy1 = add i64 %yy, 1
          %ym = icmp slt i64 %yy1, %h1
          br i1 %ym, label %wy, label %done
        done:
          %sz32 = trunc i64 %size to i32
          %zs = mul i32 %zp32, %sz32
          %acc = sub i32 %s3, %zs
          %mo = mul i64 %i, %ow
          %mi = add i64 %mo, %j
          %mp = getelementptr float, ptr %mult, i64 %mi
          %m = load float, ptr %mp, align 4
          br i1 %qnn, label %qn, label %qq
        qn:
          %rq = call i32 @q8_requant(i32 %acc, float %m, i32 %zp32, i32 %lo32, i32 %hi32)
          br label %st
        qq:
          %af = sitofp i32 %acc to float
        """ + Int8RequantIr.quant("a", "%af", "%m", "%zpf") + """
          br label %st
        st:
          %res = phi i32 [ %rq, %qn ], [ %aq, %qq ]
          %rb = trunc i32 %res to i8
          %op = getelementptr i8, ptr %oc, i64 %mi
          store i8 %rb, ptr %op, align 1
          %j1 = add i64 %j, 1
          %jm = icmp ult i64 %j1, %ow
          %i1n = add i64 %i, 1
          br i1 %jm, label %col, label %rnext0
        rnext0:
          %im = icmp ult i64 %i1n, %oh
          br i1 %im, label %row, label %rnext
        rnext:
          %c1 = add i64 %c, 1
          %cm = icmp ult i64 %c1, %hi0
          br i1 %cm, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }
}
