package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of the element-wise int8 routines that go through f32 ({@link Int8SimpleIr}'s argument conventions),
 * computing what {@code QuantKernels} / {@code QuantPoolKernels} compute:
 *
 * <ul>
 *   <li>{@code kiln_q8_requant} {x, out, n, inner, ch, kind, izp, iscd, izpf, iscf, oinv, ozpf, lo, hi, isigned}:
 *       {@code q.requantize} and {@code q.quantize_per_channel}. Element i has channel {@code (i / inner) % ch}; its
 *       real value is x itself (kind 0, f32), {@code (float(q) - izpf[c]) * iscf[c]} (kind 1, per tensor) or
 *       {@code float(double(q - izp[c]) * iscd[c])} (kind 2, per channel, in double as the reference), then
 *       {@code quantize(v, oinv[c], ozpf[c], lo, hi)}. A per-tensor side repeats its one value over the channels.
 *   <li>{@code kiln_q8_addx} {x, y, out, n, xs, xz, ys, yz, inv, zpf, lo, hi, xsigned, ysigned, relu, intpath, am, bm,
 *       zpp, shift, mask, thr, zp}: the {@code q.add[_relu]} cases {@code kiln_q8_add} leaves: qi8 or mixed operands.
 *       With a qu8 x and result (intpath) qnnpack's integer add with y's raw integers (signed for qi8); otherwise
 *       {@code quantize((float(x) - xz) * xs + (float(y) - yz) * ys)}, after {@code max(v, 0)} with a fused relu;
 *   <li>{@code kiln_q8_relu} {x, out, n, zp, signed}: {@code q.relu}, {@code max(q, zp)}.
 * </ul>
 */
final class Int8RequantIr {
  private Int8RequantIr() {}

  static final String REQUANT = "kiln_q8_requant", ADDX = "kiln_q8_addx", RELU = "kiln_q8_relu";

  /**
   * {@code QuantKernels.quantize(v, inv, zp, lo, hi)} into {@code %<p>q} (i32): {@code zp + rint(v * inv)} in float,
   * NaN or |.| >= 2^63 giving lo (INT64_MIN clamped), else clamped to [lo, hi]; needs %lof, %hif (floats) and %lo32.
   */
  static String quant(String p, String v, String inv, String zpf) {
    return """
          %Pm = fmul float V, INV
          %Pr = call float @llvm.rint.f32(float %Pm)
          %Pv = fadd float ZPF, %Pr
          %Pa = call float @llvm.fabs.f32(float %Pv)
          %Pok = fcmp olt float %Pa, 0x43E0000000000000
          %Pbelow = fcmp olt float %Pv, %lof
          %Pabove = fcmp ogt float %Pv, %hif
          %Pc0 = select i1 %Pabove, float %hif, float %Pv
          %Pc1 = select i1 %Pbelow, float %lof, float %Pc0
          %Pci = fptosi float %Pc1 to i32
          %Pq = select i1 %Pok, i32 %Pci, i32 %lo32
        """.replace("%P", "%" + p).replace("V,", v + ",").replace("INV", inv).replace("ZPF", zpf);
  }

  static String functions() { return requant() + addx() + relu(); }

  private static String relu() {
    return Int8SimpleIr.header(RELU, new String[] {"x", "out", "n", "zp", "signed"}, "x out", "")
        + """
          %sgn = icmp ne i64 %signed, 0
          %zp32 = trunc i64 %zp to i32
        """ + Int8SimpleIr.range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %i1, %loop ]
        """ + loadQ("a", "%x", "%i", "%sgn") + """
          %lt = icmp slt i32 %av, %zp32
          %q = select i1 %lt, i32 %zp32, i32 %av
        """ + store("", "%i") + """
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }

  /** Loads byte {@code idx} of {@code base} as i32 into {@code %<p>v}, sign-extended when {@code sgn}. */
  private static String loadQ(String p, String base, String idx, String sgn) {
    return """
          %Pp = getelementptr i8, ptr BASE, i64 IDX
          %Pb = load i8, ptr %Pp, align 1
          %Ps = sext i8 %Pb to i32
          %Pz = zext i8 %Pb to i32
          %Pv = select i1 SGN, i32 %Ps, i32 %Pz
        """.replace("%P", "%" + p).replace("BASE", base).replace("IDX", idx).replace("SGN", sgn);
  }

  private static String store(String p, String idx) {
    return "          %" + p + "qb = trunc i32 %" + p + "q to i8\n"
        + "          %" + p + "op = getelementptr i8, ptr %out, i64 " + idx + "\n"
        + "          store i8 %" + p + "qb, ptr %" + p + "op, align 1\n";
  }

  /** One inner loop {@code l} over [%i, %e) of the block: {@code real} turns element %<l>i into float %<l>f. */
  private static String inner(String l, String real) {
    return "        " + l + ":\n"
        + "          %" + l + "i = phi i64 [ %i, %loop ], [ %" + l + "i1, %" + l + " ]\n"
        + real
        + quant(l, "%" + l + "f", "%inv", "%oz")
        + store(l, "%" + l + "i")
        + "          %" + l + "i1 = add nuw i64 %" + l + "i, 1\n"
        + "          %" + l + "more = icmp ult i64 %" + l + "i1, %e\n"
        + "          br i1 %" + l + "more, label %" + l + ", label %bnext\n";
  }

  private static String requant() {
    return Int8SimpleIr.header(REQUANT, new String[] {"x", "out", "n", "inner", "ch", "kind", "izp", "iscd", "izpf", "iscf", "oinv", "ozpf", "lo", "hi", "isigned"}, "x out izp iscd izpf iscf oinv ozpf", "")
        + """
          %sgn = icmp ne i64 %isigned, 0
          %lof = sitofp i64 %lo to float
          %hif = sitofp i64 %hi to float
          %lo32 = trunc i64 %lo to i32
        """ + Int8SimpleIr.range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %e, %bnext ]
          %b = udiv i64 %i, %inner
          %c = urem i64 %b, %ch
          %b1 = add i64 %b, 1
          %be = mul i64 %b1, %inner
          %bl = icmp ult i64 %be, %hi0
          %e = select i1 %bl, i64 %be, i64 %hi0
          %invp = getelementptr float, ptr %oinv, i64 %c
          %inv = load float, ptr %invp, align 4
          %ozp = getelementptr float, ptr %ozpf, i64 %c
          %oz = load float, ptr %ozp, align 4
          %izlp = getelementptr i64, ptr %izp, i64 %c
          %izl = load i64, ptr %izlp, align 8
          %isdp = getelementptr double, ptr %iscd, i64 %c
          %isd = load double, ptr %isdp, align 8
          %izfp = getelementptr float, ptr %izpf, i64 %c
          %izf = load float, ptr %izfp, align 4
          %isfp = getelementptr float, ptr %iscf, i64 %c
          %isf = load float, ptr %isfp, align 4
          switch i64 %kind, label %kq [ i64 0, label %kf
                                        i64 2, label %kc ]
        """ + inner("kf", """
          %kfp = getelementptr float, ptr %x, i64 %kfi
          %kff = load float, ptr %kfp, align 4
        """) + inner("kq", loadQ("kqx", "%x", "%kqi", "%sgn") + """
          %kqg = sitofp i32 %kqxv to float
          %kqd = fsub float %kqg, %izf
          %kqf = fmul float %kqd, %isf
        """) + inner("kc", loadQ("kcx", "%x", "%kci", "%sgn") + """
          %kcw = sext i32 %kcxv to i64
          %kcz = sub i64 %kcw, %izl
          %kcg = sitofp i64 %kcz to double
          %kcd = fmul double %kcg, %isd
          %kcf = fptrunc double %kcd to float
        """) + """
        bnext:
          %more = icmp ult i64 %e, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }

  private static String addx() {
    return Int8SimpleIr.header(ADDX, new String[] {"x", "y", "out", "n", "xs", "xz", "ys", "yz", "inv", "zpf", "lo", "hi", "xsigned", "ysigned", "relu", "intpath", "am", "bm", "zpp", "shift", "mask", "thr", "zp"}, "x y out", "xs xz ys yz inv zpf")
        + """
          %xsg = icmp ne i64 %xsigned, 0
          %ysg = icmp ne i64 %ysigned, 0
          %rl = icmp ne i64 %relu, 0
          %ip = icmp ne i64 %intpath, 0
          %lof = sitofp i64 %lo to float
          %hif = sitofp i64 %hi to float
          %lo32 = trunc i64 %lo to i32
          %hi32 = trunc i64 %hi to i32
          %am32 = trunc i64 %am to i32
          %bm32 = trunc i64 %bm to i32
          %zpp32 = trunc i64 %zpp to i32
          %sh32 = trunc i64 %shift to i32
          %mk32 = trunc i64 %mask to i32
          %th32 = trunc i64 %thr to i32
          %zp32 = trunc i64 %zp to i32
        """ + Int8SimpleIr.range("%n") + """
        loop:
          %i = phi i64 [ %lo0, %entry ], [ %i1, %st ]
        """ + loadQ("a", "%x", "%i", "%xsg") + loadQ("b", "%y", "%i", "%ysg") + """
          br i1 %ip, label %int, label %flt
        int:
        """ + Int8SimpleIr.integerAdd("%av", "%bv", "%iq") + """
          br label %st
        flt:
          %af = sitofp i32 %av to float
          %ad = fsub float %af, %xz
          %axm = fmul float %ad, %xs
          %bf = sitofp i32 %bv to float
          %bd = fsub float %bf, %yz
          %bmm = fmul float %bd, %ys
          %v0 = fadd float %axm, %bmm
          %vr = call float @llvm.maximum.f32(float %v0, float 0.0)
          %v = select i1 %rl, float %vr, float %v0
        """ + quant("f", "%v", "%inv", "%zpf") + """
          br label %st
        st:
          %q = phi i32 [ %iq, %int ], [ %fq, %flt ]
        """ + store("", "%i") + """
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %hi0
          br i1 %more, label %loop, label %exit
        exit:
          ret void
        }

        """;
  }
}
