package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of {@link Int8ConvIr}'s per-image helpers: {@code @q8_pad}, the padded u8 copy of an image that every
 * tap of the packing reads inside of, and {@code @q8_allzero}, whether every weight zero point is 0 (then the patch
 * sums are not needed).
 */
final class Int8PadIr {
  private Int8PadIr() {}

  /**
   * {@code @q8_pad(x, p, c, h, wd, hp, wp, ph, pw, xor, pad)}: the padded u8 copy of one image: the whole buffer set
   * to the pad byte, then each input row copied (xor'd) into place, channel by channel and row by row (no division
   * per row). With AVX-512 ({@code wide}) a row is copied 64 bytes at a time with masked loads and stores (one step
   * for rows up to 64, no scalar tail; masked-off bytes are neither read nor written); otherwise byte by byte, which
   * LLVM vectorizes.
   */
  static String functions(boolean wide) {
    String col = wide ? """
        col:
          %j = phi i64 [ 0, %row ], [ %j1, %col ]
          %left = sub i64 %wd, %j
          %n = call i64 @llvm.umin.i64(i64 %left, i64 64)
          %n8 = trunc i64 %n to i8
          %n0 = insertelement <64 x i8> poison, i8 %n8, i64 0
          %nv = shufflevector <64 x i8> %n0, <64 x i8> poison, <64 x i32> zeroinitializer
          %mask = icmp ult <64 x i8> <LANES64>, %nv
          %sp = getelementptr i8, ptr %src, i64 %j
          %v = call <64 x i8> @llvm.masked.load.v64i8.p0(ptr %sp, i32 1, <64 x i1> %mask, <64 x i8> zeroinitializer)
          %u = xor <64 x i8> %v, %xv
          %dp = getelementptr i8, ptr %dst, i64 %j
          call void @llvm.masked.store.v64i8.p0(<64 x i8> %u, ptr %dp, i32 1, <64 x i1> %mask)
          %j1 = add nuw i64 %j, 64
          %cm = icmp ult i64 %j1, %wd
          br i1 %cm, label %col, label %rowend
        """ : """
        col:
          %j = phi i64 [ 0, %row ], [ %j1, %col ]
          %sp = getelementptr i8, ptr %src, i64 %j
          %v = load i8, ptr %sp, align 1
          %u = xor i8 %v, %xor
          %dp = getelementptr i8, ptr %dst, i64 %j
          store i8 %u, ptr %dp, align 1
          %j1 = add nuw i64 %j, 1
          %cm = icmp ult i64 %j1, %wd
          br i1 %cm, label %col, label %rowend
        """;
    String text = (wide ? """
        declare <64 x i8> @llvm.masked.load.v64i8.p0(ptr, i32, <64 x i1>, <64 x i8>)
        declare void @llvm.masked.store.v64i8.p0(<64 x i8>, ptr, i32, <64 x i1>)

        """ : "") + """
        define internal void @q8_pad(ptr noalias %x, ptr noalias %p, i64 %c, i64 %h, i64 %wd, i64 %hp, i64 %wp, i64 %ph,
            i64 %pw, i8 %xor, i8 %pad) nounwind {
        entry:
          %plane = mul i64 %hp, %wp
          %all = mul i64 %plane, %c
          call void @llvm.memset.p0.i64(ptr %p, i8 %pad, i64 %all, i1 false)
          %e = icmp eq i64 %c, 0
          %eh = icmp eq i64 %h, 0
          %ew = icmp eq i64 %wd, 0
          %e1 = or i1 %e, %eh
          %skip = or i1 %e1, %ew
          %xv0 = insertelement <64 x i8> poison, i8 %xor, i64 0
          %xv = shufflevector <64 x i8> %xv0, <64 x i8> poison, <64 x i32> zeroinitializer
          %top0 = mul i64 %ph, %wp
          %top = add i64 %top0, %pw
          %xplane = mul i64 %h, %wd
          br i1 %skip, label %done, label %chan
        chan:
          %ch = phi i64 [ 0, %entry ], [ %ch1, %chanend ]
          %pc0 = mul i64 %ch, %plane
          %pc = add i64 %pc0, %top
          %xc = mul i64 %ch, %xplane
          br label %row
        row:
          %yy = phi i64 [ 0, %chan ], [ %yy1, %rowend ]
          %pr0 = mul i64 %yy, %wp
          %pr = add i64 %pc, %pr0
          %dst = getelementptr i8, ptr %p, i64 %pr
          %so0 = mul i64 %yy, %wd
          %so = add i64 %xc, %so0
          %src = getelementptr i8, ptr %x, i64 %so
          br label %col
        """ + col + """
        rowend:
          %yy1 = add nuw i64 %yy, 1
          %rm = icmp ult i64 %yy1, %h
          br i1 %rm, label %row, label %chanend
        chanend:
          %ch1 = add nuw i64 %ch, 1
          %chm = icmp ult i64 %ch1, %c
          br i1 %chm, label %chan, label %done
        done:
          ret void
        }

        define internal i1 @q8_allzero(ptr noalias %v, i64 %n) nounwind {
        entry:
          %e = icmp eq i64 %n, 0
          br i1 %e, label %yes, label %loop
        loop:
          %i = phi i64 [ 0, %entry ], [ %i1, %next ]
          %vp = getelementptr i32, ptr %v, i64 %i
          %x = load i32, ptr %vp, align 4
          %nz = icmp ne i32 %x, 0
          br i1 %nz, label %no, label %next
        next:
          %i1 = add nuw i64 %i, 1
          %m = icmp ult i64 %i1, %n
          br i1 %m, label %loop, label %yes
        yes:
          ret i1 true
        no:
          ret i1 false
        }

        """;
    return text.replace("<LANES64>", lanes64i8());
  }

  private static String lanes64i8() {
    StringBuilder b = new StringBuilder("<");
    for (int i = 0; i < 64; i++) b.append(i == 0 ? "" : ", ").append("i8 ").append(i);
    return b.append('>').toString();
  }
}
