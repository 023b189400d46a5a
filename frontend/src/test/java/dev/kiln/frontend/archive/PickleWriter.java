package dev.kiln.frontend.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes by hand, so tests can craft exactly the bytes they need (hostile ones included). */
final class PickleWriter {
  static final int MARK = '(', STOP = '.', TUPLE = 't', TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87,
      EMPTY_TUPLE = ')', EMPTY_LIST = ']', EMPTY_DICT = '}', APPEND = 'a', APPENDS = 'e', SETITEM = 's',
      SETITEMS = 'u', LIST = 'l', DICT = 'd', REDUCE = 'R', BUILD = 'b', NEWOBJ = 0x81, BINPERSID = 'Q',
      NONE = 'N', NEWTRUE = 0x88, NEWFALSE = 0x89, MEMOIZE = 0x94;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  PickleWriter op(int... ops) {
    for (int o : ops) out.write(o);
    return this;
  }

  PickleWriter proto(int v) { return op(0x80, v); }

  PickleWriter global(String module, String name) {
    op('c');
    raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  PickleWriter str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op('X');
    le(b.length, 4);
    return raw(b);
  }

  PickleWriter shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op(0x8c, b.length);
    return raw(b);
  }

  /** The shortest integer opcode for {@code v}, as Python's pickler picks it. */
  PickleWriter integer(long v) {
    if (v >= 0 && v < 256) return op('K', (int) v);
    if (v >= 0 && v < 65536) { op('M'); return le(v, 2); }
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) { op('J'); return le(v, 4); }
    op(0x8a, 8);
    return le(v, 8);
  }

  PickleWriter binfloat(double d) {
    op('G');
    long bits = Double.doubleToLongBits(d);
    for (int i = 7; i >= 0; i--) out.write((int) (bits >>> (8 * i)));
    return this;
  }

  PickleWriter put(int memo) { return op('q', memo); }

  PickleWriter get(int memo) { return op('h', memo); }

  PickleWriter le(long v, int bytes) {
    for (int i = 0; i < bytes; i++) out.write((int) (v >>> (8 * i)));
    return this;
  }

  PickleWriter raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  /** {@code _rebuild_tensor_v2(storage(key, numel), offset, sizes, strides, False, OrderedDict())}. */
  PickleWriter tensor(String storageType, String key, long numel, long offset, long[] sizes, long[] strides) {
    global("torch._utils", "_rebuild_tensor_v2");
    op(MARK);
    op(MARK).shortStr("storage").global("torch", storageType).shortStr(key).shortStr("cpu").integer(numel).op(TUPLE);
    op(BINPERSID);
    integer(offset);
    op(MARK);
    for (long s : sizes) integer(s);
    op(TUPLE, MARK);
    for (long s : strides) integer(s);
    op(TUPLE, NEWFALSE);
    global("collections", "OrderedDict").op(EMPTY_TUPLE, REDUCE);
    return op(TUPLE, REDUCE);
  }

  int size() { return out.size(); }

  byte[] bytes() { return out.toByteArray(); }
}
