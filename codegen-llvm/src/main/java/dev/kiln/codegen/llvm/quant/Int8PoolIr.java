package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of {@code kiln_q8_maxpool} ({@link Int8SimpleIr}'s argument conventions): the max of the raw integers
 * over each window, padded taps skipped, as {@code QuantPoolKernels.maxPool2d}.
 */
final class Int8PoolIr {
  private Int8PoolIr() {}

  /**
   * Per plane and output row: an i16 accumulator row (slot tid of the scratch; -32768, whose low byte is the 0 the
   * reference stores for a window without a valid tap) takes the max with each tap over the output columns where that
   * tap is inside the row ({@code j in [jlo, jhi)}, a loop LLVM vectorizes), then is stored as bytes; or, for
   * horizontal dilation 1 and stride 1 or 2, the byte form of {@link Int8MaxPoolFastIr} ({@code pick()}).
   */
  static String maxPool() {
    return Int8SimpleIr.header(Int8SimpleIr.MAXPOOL, new String[] {"x", "out", "planes", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "signed", "acc", "slots"}, "x out acc", "")
        + """
          %sgn = icmp ne i64 %signed, 0
          %plane = mul i64 %h, %w
          %oplane = mul i64 %oh, %ow
          %tidx = sext i32 %tid to i64
          %ntx = sext i32 %nt to i64
          %fewer = icmp slt i64 %ntx, %slots
          %ntc = select i1 %fewer, i64 %ntx, i64 %slots
          %active = icmp slt i64 %tidx, %ntc
          %ao = mul i64 %tidx, %ow
          %ao2 = shl i64 %ao, 1
          %A = getelementptr i8, ptr %acc, i64 %ao2
          %r0 = mul i64 %planes, %tidx
          %lo0 = udiv i64 %r0, %ntc
          %tid1 = add i64 %tidx, 1
          %r1 = mul i64 %planes, %tid1
          %hi0 = udiv i64 %r1, %ntc
          %some0 = icmp ult i64 %lo0, %hi0
          %some = and i1 %some0, %active
          br i1 %some, label %pick, label %exit
""" + pick() + """
        gen:
          br label %loop
        loop:
          %c = phi i64 [ %lo0, %gen ], [ %c1, %cnext ]
          %xc0 = mul i64 %c, %plane
          %xc = getelementptr i8, ptr %x, i64 %xc0
          %oc0 = mul i64 %c, %oplane
          %oc = getelementptr i8, ptr %out, i64 %oc0
          br label %row
        row:
          %i = phi i64 [ 0, %loop ], [ %i1, %rnext ]
          br label %init
        init:
          %z = phi i64 [ 0, %row ], [ %z1, %init ]
          %zp = getelementptr i16, ptr %A, i64 %z
          store i16 -32768, ptr %zp, align 2
          %z1 = add nuw i64 %z, 1
          %zm = icmp ult i64 %z1, %ow
          br i1 %zm, label %init, label %rowgo
        rowgo:
          %y0a = mul i64 %i, %sh
          %y0 = sub i64 %y0a, %ph
          br label %ty
        ty:
          %u = phi i64 [ 0, %rowgo ], [ %u1, %tynext ]
          %yd = mul i64 %u, %dh
          %yy = add i64 %y0, %yd
          %yin0 = icmp sge i64 %yy, 0
          %yin1 = icmp slt i64 %yy, %h
          %yin = and i1 %yin0, %yin1
          br i1 %yin, label %tyin, label %tynext
        tyin:
          %xro = mul i64 %yy, %w
          %xr = getelementptr i8, ptr %xc, i64 %xro
          br label %tx
        tx:
          %t = phi i64 [ 0, %tyin ], [ %t1, %txnext ]
          %td = mul i64 %t, %dw
          %off = sub i64 %td, %pw
          ; j*sw + off in [0, w):  j >= ceil(-off / sw), j < ceil((w - off) / sw)
          %nego = sub i64 0, %off
          %neg = icmp sgt i64 %nego, 0
          %jl0 = add i64 %nego, %sw
          %jl1 = sub i64 %jl0, 1
          %jl2 = sdiv i64 %jl1, %sw
          %jlo = select i1 %neg, i64 %jl2, i64 0
          %wo = sub i64 %w, %off
          %wpos = icmp sgt i64 %wo, 0
          %jh0 = add i64 %wo, %sw
          %jh1 = sub i64 %jh0, 1
          %jh2 = sdiv i64 %jh1, %sw
          %jh3 = select i1 %wpos, i64 %jh2, i64 0
          %jhs = icmp slt i64 %jh3, %ow
          %jhi = select i1 %jhs, i64 %jh3, i64 %ow
          %any = icmp slt i64 %jlo, %jhi
          br i1 %any, label %taps, label %txnext
        taps:
          %sw1 = icmp eq i64 %sw, 1
          %sw2 = icmp eq i64 %sw, 2
          br i1 %sgn, label %tsg, label %tun
        tsg:
          br i1 %sw1, label %js1, label %tsg2
        tsg2:
          br i1 %sw2, label %js2, label %jsn
        tun:
          br i1 %sw1, label %ju1, label %tun2
        tun2:
          br i1 %sw2, label %ju2, label %jun
""" + jloops() + """
        txnext:
          %t1 = add i64 %t, 1
          %tm = icmp ult i64 %t1, %kw
          br i1 %tm, label %tx, label %tynext
        tynext:
          %u1 = add i64 %u, 1
          %um = icmp ult i64 %u1, %kh
          br i1 %um, label %ty, label %store
        store:
          %oo0 = mul i64 %i, %ow
          %orow = getelementptr i8, ptr %oc, i64 %oo0
          br label %st
        st:
          %sj = phi i64 [ 0, %store ], [ %sj1, %st ]
          %sap = getelementptr i16, ptr %A, i64 %sj
          %sa = load i16, ptr %sap, align 2
          %sb = trunc i16 %sa to i8
          %sop = getelementptr i8, ptr %orow, i64 %sj
          store i8 %sb, ptr %sop, align 1
          %sj1 = add nuw i64 %sj, 1
          %sjm = icmp ult i64 %sj1, %ow
          br i1 %sjm, label %st, label %rnext
        rnext:
          %i1 = add i64 %i, 1
          %im = icmp ult i64 %i1, %oh
          br i1 %im, label %row, label %cnext
        cnext:
          %c1 = add i64 %c, 1
          %cm = icmp ult i64 %c1, %hi0
          br i1 %cm, label %loop, label %exit
        exit:
          ret void
        }

        declare i16 @llvm.smax.i16(i16, i16)

        """ + (Int8MaxPoolFastIr.enabled() ? Int8MaxPoolFastIr.functions() : "");
  }

  /**
   * The choice of form: {@link Int8MaxPoolFastIr} for horizontal dilation 1, stride 1 or 2 and {@code w <= 2 ow} (its
   * w-byte row is the thread's slot of the i16 scratch) unless
   * {@code -Dkiln.llvm.int8.fastMaxPool=false} (read when the routine is emitted); the loops below otherwise.
   */
  private static String pick() {
    if (!Int8MaxPoolFastIr.enabled()) return "        pick:\n          br label %gen\n";
    StringBuilder s = new StringBuilder("""
        pick:
          %fdw = icmp eq i64 %dw, 1
          %fs1 = icmp eq i64 %sw, 1
          %fs2 = icmp eq i64 %sw, 2
          %fsw = or i1 %fs1, %fs2
          %fast0 = and i1 %fdw, %fsw
          %ow2 = shl i64 %ow, 1
          %fitw = icmp ule i64 %w, %ow2
          %fast = and i1 %fast0, %fitw
          br i1 %fast, label %fk, label %gen
        fk:
          br i1 %sgn, label %fks, label %fku
        fks:
          br i1 %fs1, label %fs_1, label %fs_2
        fku:
          br i1 %fs1, label %fu_1, label %fu_2
        """);
    for (String g : new String[] {"s", "u"})
      for (int st = 1; st <= 2; st++)
        s.append("        f").append(g).append('_').append(st).append(":\n          call void ").append(Int8MaxPoolFastIr.name(g.equals("s"), st))
            .append("(ptr %x, ptr %out, i64 %lo0, i64 %hi0, i64 %h, i64 %w, i64 %oh, i64 %ow, i64 %kh, i64 %kw, i64 %sh, i64 %ph, i64 %pw, i64 %dh, ptr %A)\n")
            .append("          br label %exit\n");
    return s.toString();
  }

  /** The column loops of the max pool: signed or not, stride 1, 2 (constants, so they vectorize) or any. */
  private static String jloops() {
    StringBuilder s = new StringBuilder();
    for (String sg : new String[] {"s", "u"})
      for (String st : new String[] {"1", "2", "n"}) {
        String l = "j" + sg + st, v = "%" + l, ext = sg.equals("s") ? "sext" : "zext";
        String from = sg.equals("s") ? (st.equals("1") ? "tsg" : "tsg2") : (st.equals("1") ? "tun" : "tun2");
        if (st.equals("2")) {
          // j < jhi - 1: a 16-bit load whose low byte is the tap (contiguous, so it vectorizes); the last j alone
          // with a byte load, so nothing past the tap is read
          s.append("        ").append(l).append(":\n");
          s.append("          ").append(v).append("end = sub nsw i64 %jhi, 1\n");
          s.append("          ").append(v).append("any = icmp slt i64 %jlo, ").append(v).append("end\n");
          s.append("          br i1 ").append(v).append("any, label %").append(l).append("v, label %").append(l).append("t\n");
          s.append("        ").append(l).append("v:\n");
          s.append("          ").append(v).append("j = phi i64 [ %jlo, %").append(l).append(" ], [ ").append(v).append("j1, %").append(l).append("v ]\n");
          s.append("          ").append(v).append("x0 = shl i64 ").append(v).append("j, 1\n");
          s.append("          ").append(v).append("x1 = add i64 ").append(v).append("x0, %off\n");
          s.append("          ").append(v).append("xp = getelementptr i8, ptr %xr, i64 ").append(v).append("x1\n");
          s.append("          ").append(v).append("w = load i16, ptr ").append(v).append("xp, align 1\n");
          s.append("          ").append(v).append("b = trunc i16 ").append(v).append("w to i8\n");
          s.append("          ").append(v).append("b16 = ").append(ext).append(" i8 ").append(v).append("b to i16\n");
          s.append("          ").append(v).append("ap = getelementptr i16, ptr %A, i64 ").append(v).append("j\n");
          s.append("          ").append(v).append("a = load i16, ptr ").append(v).append("ap, align 2\n");
          s.append("          ").append(v).append("m = call i16 @llvm.smax.i16(i16 ").append(v).append("a, i16 ").append(v).append("b16)\n");
          s.append("          store i16 ").append(v).append("m, ptr ").append(v).append("ap, align 2\n");
          s.append("          ").append(v).append("j1 = add nsw i64 ").append(v).append("j, 1\n");
          s.append("          ").append(v).append("more = icmp slt i64 ").append(v).append("j1, ").append(v).append("end\n");
          s.append("          br i1 ").append(v).append("more, label %").append(l).append("v, label %").append(l).append("t\n");
          s.append("        ").append(l).append("t:\n");
          s.append("          ").append(v).append("tx0 = shl i64 ").append(v).append("end, 1\n");
          s.append("          ").append(v).append("tx1 = add i64 ").append(v).append("tx0, %off\n");
          s.append("          ").append(v).append("txp = getelementptr i8, ptr %xr, i64 ").append(v).append("tx1\n");
          s.append("          ").append(v).append("tb = load i8, ptr ").append(v).append("txp, align 1\n");
          s.append("          ").append(v).append("tb16 = ").append(ext).append(" i8 ").append(v).append("tb to i16\n");
          s.append("          ").append(v).append("tap = getelementptr i16, ptr %A, i64 ").append(v).append("end\n");
          s.append("          ").append(v).append("ta = load i16, ptr ").append(v).append("tap, align 2\n");
          s.append("          ").append(v).append("tm = call i16 @llvm.smax.i16(i16 ").append(v).append("ta, i16 ").append(v).append("tb16)\n");
          s.append("          store i16 ").append(v).append("tm, ptr ").append(v).append("tap, align 2\n");
          s.append("          br label %txnext\n");
          continue;
        }
        String stride = st.equals("n") ? "%sw" : st;
        s.append("        ").append(l).append(":\n");
        s.append("          ").append(v).append("j = phi i64 [ %jlo, %").append(from).append(" ], [ ").append(v).append("j1, %").append(l).append(" ]\n");
        s.append("          ").append(v).append("x0 = mul i64 ").append(v).append("j, ").append(stride).append('\n');
        s.append("          ").append(v).append("x1 = add i64 ").append(v).append("x0, %off\n");
        s.append("          ").append(v).append("xp = getelementptr i8, ptr %xr, i64 ").append(v).append("x1\n");
        s.append("          ").append(v).append("b = load i8, ptr ").append(v).append("xp, align 1\n");
        s.append("          ").append(v).append("b16 = ").append(ext).append(" i8 ").append(v).append("b to i16\n");
        s.append("          ").append(v).append("ap = getelementptr i16, ptr %A, i64 ").append(v).append("j\n");
        s.append("          ").append(v).append("a = load i16, ptr ").append(v).append("ap, align 2\n");
        s.append("          ").append(v).append("m = call i16 @llvm.smax.i16(i16 ").append(v).append("a, i16 ").append(v).append("b16)\n");
        s.append("          store i16 ").append(v).append("m, ptr ").append(v).append("ap, align 2\n");
        s.append("          ").append(v).append("j1 = add nsw i64 ").append(v).append("j, 1\n");
        s.append("          ").append(v).append("more = icmp slt i64 ").append(v).append("j1, %jhi\n");
        s.append("          br i1 ").append(v).append("more, label %").append(l).append(", label %txnext\n");
      }
    return s.toString();
  }
}
