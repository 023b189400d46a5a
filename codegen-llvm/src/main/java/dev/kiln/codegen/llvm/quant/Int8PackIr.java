package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of the packing routines of {@link Int8ConvIr}: u8 patches of the padded image into the micro-kernel's
 * panel layout (per group of 4 depths, 16 lanes x 4 bytes, {@code out[64 q + 4 lane + e]}), by one vector load per
 * depth for panels within an output row (stride 1 and 2), lane by lane (other strides, or lanes from a table), or by
 * one vector load per output row a panel of consecutive flat positions touches and a chain of blends.
 */
final class Int8PackIr {
  private Int8PackIr() {}

  static String lanes8() {
    StringBuilder b = new StringBuilder("<");
    for (int i = 0; i < 16; i++) b.append(i == 0 ? "" : ", ").append("i8 ").append(i);
    return b.append('>').toString();
  }

  /**
   * {@code @q8_pack_S(pg, offs, kq, base, sw, out)}: one panel: per group of 4 depths, the 16 lanes of each depth
   * (at {@code pg + offs[p] + base + lane sw}) interleaved as {@code out[64 q + 4 lane + e]}.
   */
  static String pack(String kind) {
    StringBuilder s = new StringBuilder();
    s.append("define internal void @q8_pack_").append(kind)
        .append("(ptr noalias %pg, ptr noalias %offs, i64 %kq, i64 %base, i64 %sw, ptr noalias %out, ptr noalias %lanes) nounwind {\n");
    s.append("entry:\n  %pb = getelementptr i8, ptr %pg, i64 %base\n  br label %loop\nloop:\n");
    s.append("  %q = phi i64 [ 0, %entry ], [ %q1, %loop ]\n  %p0 = shl i64 %q, 2\n");
    for (int e = 0; e < 4; e++) {
      String v = "%v" + e;
      s.append("  %pi").append(e).append(" = add i64 %p0, ").append(e).append('\n');
      s.append("  %op").append(e).append(" = getelementptr i64, ptr %offs, i64 %pi").append(e).append('\n');
      s.append("  %o").append(e).append(" = load i64, ptr %op").append(e).append(", align 8\n");
      s.append("  %a").append(e).append(" = getelementptr i8, ptr %pb, i64 %o").append(e).append('\n');
      switch (kind) {
        case "1" -> s.append("  ").append(v).append(" = load <16 x i8>, ptr %a").append(e).append(", align 1\n");
        case "2" -> {
          s.append("  %w").append(e).append(" = load <32 x i8>, ptr %a").append(e).append(", align 1\n");
          s.append("  ").append(v).append(" = shufflevector <32 x i8> %w").append(e).append(", <32 x i8> poison, <16 x i32> <");
          for (int c = 0; c < 16; c++) s.append(c == 0 ? "" : ", ").append("i32 ").append(2 * c);
          s.append(">\n");
        }
        default -> {
          String prev = "poison";
          for (int c = 0; c < 16; c++) {
            String t = e + "_" + c;
            if (kind.equals("flat")) {
              s.append("  %lp").append(t).append(" = getelementptr i64, ptr %lanes, i64 ").append(c).append('\n');
              s.append("  %lo").append(t).append(" = load i64, ptr %lp").append(t).append(", align 8\n");
            } else s.append("  %lo").append(t).append(" = mul i64 %sw, ").append(c).append('\n');
            s.append("  %la").append(t).append(" = getelementptr i8, ptr %a").append(e).append(", i64 %lo").append(t).append('\n');
            s.append("  %lv").append(t).append(" = load i8, ptr %la").append(t).append(", align 1\n");
            String next = c == 15 ? v : "%lx" + t;
            s.append("  ").append(next).append(" = insertelement <16 x i8> ").append(prev).append(", i8 %lv").append(t)
                .append(", i64 ").append(c).append('\n');
            prev = next;
          }
        }
      }
    }
    s.append("  %c01 = shufflevector <16 x i8> %v0, <16 x i8> %v1, <32 x i32> <").append(seq(32)).append(">\n");
    s.append("  %c23 = shufflevector <16 x i8> %v2, <16 x i8> %v3, <32 x i32> <").append(seq(32)).append(">\n");
    s.append("  %il = shufflevector <32 x i8> %c01, <32 x i8> %c23, <64 x i32> <");
    for (int l = 0; l < 64; l++) s.append(l == 0 ? "" : ", ").append("i32 ").append((l % 4) * 16 + l / 4);
    s.append(">\n");
    s.append("  %oo = shl i64 %q, 6\n  %dst = getelementptr i8, ptr %out, i64 %oo\n");
    s.append("  store <64 x i8> %il, ptr %dst, align 64\n");
    s.append("  %q1 = add nuw i64 %q, 1\n  %more = icmp ult i64 %q1, %kq\n  br i1 %more, label %loop, label %done\n");
    s.append("done:\n  ret void\n}\n\n");
    return s.toString();
  }

  /**
   * {@code @q8_splitN_S(pg, offs, kq, base0..base(N-1), r1..r(N-1), out)}: a panel of 16 consecutive flat positions
   * over at most N output rows (stride S): lanes in {@code [r_s, r_s+1)} from {@code base_s + lane S} (each base
   * already moved back by its first lane), one vector load per row and a chain of blends.
   */
  static String packSplit(int stride, int n) {
    StringBuilder s = new StringBuilder();
    s.append("define internal void @q8_split").append(n).append('_').append(stride).append("(ptr noalias %pg, ptr noalias %offs, i64 %kq");
    for (int h = 0; h < n; h++) s.append(", i64 %base").append(h);
    for (int h = 1; h < n; h++) s.append(", i64 %r").append(h);
    s.append(", ptr noalias %out) nounwind {\nentry:\n");
    for (int h = 0; h < n; h++) s.append("  %pb").append(h).append(" = getelementptr i8, ptr %pg, i64 %base").append(h).append('\n');
    for (int h = 1; h < n; h++) {
      s.append("  %rc").append(h).append(" = call i64 @llvm.umin.i64(i64 %r").append(h).append(", i64 16)\n");
      s.append("  %r8_").append(h).append(" = trunc i64 %rc").append(h).append(" to i8\n  %rv0_").append(h).append(" = insertelement <16 x i8> poison, i8 %r8_").append(h).append(", i64 0\n");
      s.append("  %rv").append(h).append(" = shufflevector <16 x i8> %rv0_").append(h).append(", <16 x i8> poison, <16 x i32> zeroinitializer\n");
      s.append("  %mask").append(h).append(" = icmp ult <16 x i8> ").append(lanes8()).append(", %rv").append(h).append('\n');
    }
    s.append("  br label %loop\nloop:\n  %q = phi i64 [ 0, %entry ], [ %q1, %loop ]\n  %p0 = shl i64 %q, 2\n");
    for (int e = 0; e < 4; e++) {
      s.append("  %pi").append(e).append(" = add i64 %p0, ").append(e).append('\n');
      s.append("  %op").append(e).append(" = getelementptr i64, ptr %offs, i64 %pi").append(e).append('\n');
      s.append("  %o").append(e).append(" = load i64, ptr %op").append(e).append(", align 8\n");
      for (int h = 0; h < n; h++) {
        String v = "%h" + h + "_" + e, t = h + "_" + e;
        s.append("  %a").append(t).append(" = getelementptr i8, ptr %pb").append(h).append(", i64 %o").append(e).append('\n');
        if (stride == 1) s.append("  ").append(v).append(" = load <16 x i8>, ptr %a").append(t).append(", align 1\n");
        else {
          s.append("  %w").append(t).append(" = load <32 x i8>, ptr %a").append(t).append(", align 1\n");
          s.append("  ").append(v).append(" = shufflevector <32 x i8> %w").append(t).append(", <32 x i8> poison, <16 x i32> <");
          for (int c = 0; c < 16; c++) s.append(c == 0 ? "" : ", ").append("i32 ").append(2 * c);
          s.append(">\n");
        }
      }
      String acc = "%h" + (n - 1) + "_" + e;
      for (int h = n - 1; h >= 1; h--) { // lanes below r_h come from the rows before h
        String next = h == 1 ? "%v" + e : "%s" + h + "_" + e;
        s.append("  ").append(next).append(" = select <16 x i1> %mask").append(h).append(", <16 x i8> %h").append(h - 1).append('_').append(e)
            .append(", <16 x i8> ").append(acc).append('\n');
        acc = next;
      }
    }
    s.append("  %c01 = shufflevector <16 x i8> %v0, <16 x i8> %v1, <32 x i32> <").append(seq(32)).append(">\n");
    s.append("  %c23 = shufflevector <16 x i8> %v2, <16 x i8> %v3, <32 x i32> <").append(seq(32)).append(">\n");
    s.append("  %il = shufflevector <32 x i8> %c01, <32 x i8> %c23, <64 x i32> <");
    for (int l = 0; l < 64; l++) s.append(l == 0 ? "" : ", ").append("i32 ").append((l % 4) * 16 + l / 4);
    s.append(">\n");
    s.append("  %oo = shl i64 %q, 6\n  %dst = getelementptr i8, ptr %out, i64 %oo\n");
    s.append("  store <64 x i8> %il, ptr %dst, align 64\n");
    s.append("  %q1 = add nuw i64 %q, 1\n  %more = icmp ult i64 %q1, %kq\n  br i1 %more, label %loop, label %done\n");
    s.append("done:\n  ret void\n}\n\n");
    return s.toString();
  }

  static String seq(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ", ").append("i32 ").append(i);
    return b.toString();
  }
}
