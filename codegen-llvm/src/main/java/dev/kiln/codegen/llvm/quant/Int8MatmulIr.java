package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of {@code kiln_q8_matmul} ({@link Int8SimpleIr}'s argument conventions), {@code q.matmul} as
 * {@code QuantNnKernels.matmul}: both operands dequantized per tensor in float ({@code (float(q) - zp) * scale}), each
 * output the double sum {@code 0 + x[i][0] y[0][j] + x[i][1] y[1][j] + ...} in the reference's order (its dgemm), then
 * {@code quantize(float(sum), inv, zp, lo, hi)}. Arguments {x, y, out, rows, m, k, n, xbs, ybs, xz, xs, yz, ys, inv,
 * zpf, lo, hi, xsigned, ysigned}: rows = batches m; row r reads x at {@code (r / m) xbs + (r % m) k} and y at
 * {@code (r / m) ybs} (a batch stride of 0 broadcasts a rank-2 operand). Threads split rows.
 */
final class Int8MatmulIr {
  private Int8MatmulIr() {}

  static final String SYMBOL = "kiln_q8_matmul";

  /** Loads byte {@code idx} of {@code base} and dequantizes it into double {@code %<p>d}. */
  private static String deq(String p, String base, String idx, String sgn, String zp, String scale) {
    return """
          %Pp = getelementptr i8, ptr BASE, i64 IDX
          %Pb = load i8, ptr %Pp, align 1
          %Ps = sext i8 %Pb to i32
          %Pz = zext i8 %Pb to i32
          %Pv = select i1 SGN, i32 %Ps, i32 %Pz
          %Pf = sitofp i32 %Pv to float
          %Pc = fsub float %Pf, ZP
          %Pr = fmul float %Pc, SCALE
          %Pd = fpext float %Pr to double
        """.replace("%P", "%" + p).replace("BASE", base).replace("IDX", idx).replace("SGN", sgn).replace("ZP", zp)
        .replace("SCALE", scale);
  }

  static String functions() {
    return Int8SimpleIr.header(SYMBOL, new String[] {"x", "y", "out", "rows", "m", "k", "n", "xbs", "ybs", "xz", "xs", "yz", "ys", "inv", "zpf", "lo", "hi", "xsigned", "ysigned"}, "x y out", "xz xs yz ys inv zpf")
        + """
          %xsg = icmp ne i64 %xsigned, 0
          %ysg = icmp ne i64 %ysigned, 0
          %lof = sitofp i64 %lo to float
          %hif = sitofp i64 %hi to float
          %lo32 = trunc i64 %lo to i32
        """ + Int8SimpleIr.range("%rows") + """
        loop:
          %rw = phi i64 [ %lo0, %entry ], [ %rw1, %rnext ]
          %b = udiv i64 %rw, %m
          %i = urem i64 %rw, %m
          %xo0 = mul i64 %b, %xbs
          %xo1 = mul i64 %i, %k
          %xo = add i64 %xo0, %xo1
          %xr = getelementptr i8, ptr %x, i64 %xo
          %yo = mul i64 %b, %ybs
          %yb = getelementptr i8, ptr %y, i64 %yo
          %oo = mul i64 %rw, %n
          %orow = getelementptr i8, ptr %out, i64 %oo
          br label %col
        col:
          %j = phi i64 [ 0, %loop ], [ %j1, %cst ]
          br label %dot
        dot:
          %p = phi i64 [ 0, %col ], [ %p1, %dot ]
          %s = phi double [ 0.0, %col ], [ %s1, %dot ]
        """ + deq("a", "%xr", "%p", "%xsg", "%xz", "%xs") + """
          %yi0 = mul i64 %p, %n
          %yi = add i64 %yi0, %j
        """ + deq("c", "%yb", "%yi", "%ysg", "%yz", "%ys") + """
          %pr = fmul double %ad, %cd
          %s1 = fadd double %s, %pr
          %p1 = add nuw i64 %p, 1
          %pm = icmp ult i64 %p1, %k
          br i1 %pm, label %dot, label %cst
        cst:
          %sf = fptrunc double %s1 to float
        """ + Int8RequantIr.quant("q", "%sf", "%inv", "%zpf") + """
          %qb = trunc i32 %qq to i8
          %op = getelementptr i8, ptr %orow, i64 %j
          store i8 %qb, ptr %op, align 1
          %j1 = add nuw i64 %j, 1
          %jm = icmp ult i64 %j1, %n
          br i1 %jm, label %col, label %rnext
        rnext:
          %rw1 = add nuw i64 %rw, 1
          %rm = icmp ult i64 %rw1, %hi0
          br i1 %rm, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }
}
