package dev.kiln.frontend.archive;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle virtual machine for the subset TorchScript archives use (protocol 2, plus FRAME, MEMOIZE and the 8-byte
 * opcodes of protocol 4). Globals come from the fixed allow-list in {@link TorchGlobals}; nothing is looked up by name
 * and no code runs. Work and memory are linear in the input: each opcode creates at most one object.
 *
 * <p>Values: None is {@code null}; int is {@link Long} (or {@link BigInteger} beyond 64 bits); float {@link Double};
 * str {@link String}; bytes {@code byte[]}; bool {@link Boolean}; tuple {@link PyTuple}; list {@link ArrayList}; dict
 * and OrderedDict {@link LinkedHashMap}; tensors {@link StoredTensor}; {@code __torch__} objects {@link TorchObject}.
 * One instance reads one pickle, once; it is not thread-safe.
 */
public final class Unpickler {
  /** Resolves a BINPERSID id (for TorchScript, a storage tuple); throws IllegalArgumentException to reject it. */
  @FunctionalInterface
  public interface PersistentLoader {
    Object load(Object pid);
  }

  private static final Object MARK_OBJ = new Object() {
    @Override public String toString() { return "MARK"; }
  };

  private final ByteBuffer in;
  private final String source;
  private final PersistentLoader loader;
  private final List<Object> stack = new ArrayList<>();
  private final List<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();
  private int opPos;

  /**
   * @param data   the whole pickle; read from position 0 to its limit
   * @param source name used in messages, e.g. {@code model.pt:archive/data.pkl}
   * @param loader BINPERSID hook; null makes any persistent id an error
   */
  public Unpickler(byte[] data, String source, PersistentLoader loader) {
    this.in = ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    this.source = source;
    this.loader = loader;
  }

  /** Reads one pickle from {@code data}; see {@link #Unpickler(byte[], String, PersistentLoader)}. */
  public static Object load(byte[] data, String source, PersistentLoader loader) {
    return new Unpickler(data, source, loader).load();
  }

  /** Runs the pickle up to STOP and returns the object it built. */
  public Object load() {
    while (true) {
      opPos = in.position();
      if (!in.hasRemaining()) throw error("truncated pickle: no STOP opcode before the end of the data");
      int op = in.get() & 0xFF;
      switch (op) {
        case 0x80 -> { // PROTO
          int v = u8();
          if (v > 5) throw error("unsupported pickle protocol " + v + ", expected 2 to 5");
        }
        case 0x95 -> { // FRAME: a length hint for buffered readers; the data follows inline
          long len = u64();
          if (len > in.remaining()) throw error("FRAME of " + len + " bytes runs past the end of the data");
        }
        case '.' -> { // STOP
          Object result = pop();
          return result;
        }
        case 'c' -> { // GLOBAL module\nname\n
          String module = line(), name = line();
          Object g = TorchGlobals.resolve(module, name);
          if (g == null) throw error("forbidden global '" + module + "." + name + "' (allowed: " + TorchGlobals.ALLOWED + ")");
          push(g);
        }
        case 'R' -> { // REDUCE
          Object args = pop(), callable = pop();
          push(call(() -> TorchGlobals.reduce(callable, tupleArg("REDUCE", args))));
        }
        case 0x81 -> { // NEWOBJ
          Object args = pop(), cls = pop();
          push(call(() -> TorchGlobals.newObject(cls, tupleArg("NEWOBJ", args))));
        }
        case 'b' -> { // BUILD
          Object state = pop(), target = peek();
          call(() -> { TorchGlobals.build(target, state); return null; });
        }
        case 'Q' -> { // BINPERSID
          Object pid = pop();
          if (loader == null) throw error("persistent id " + pid + " but no loader was given");
          push(call(() -> loader.load(pid)));
        }
        case '(' -> { stack.add(MARK_OBJ); marks.add(stack.size()); }
        case 't' -> push(new PyTuple(popMark()));
        case 0x85 -> { Object a = pop(); push(PyTuple.of(a)); }
        case 0x86 -> { Object b = pop(), a = pop(); push(PyTuple.of(a, b)); }
        case 0x87 -> { Object c = pop(), b = pop(), a = pop(); push(PyTuple.of(a, b, c)); }
        case ')' -> push(PyTuple.EMPTY);
        case ']' -> push(new ArrayList<>());
        case '}' -> push(new LinkedHashMap<>());
        case 'l' -> push(new ArrayList<>(popMark()));
        case 'd' -> { Map<Object, Object> m = new LinkedHashMap<>(); putPairs(m, popMark()); push(m); }
        case 'a' -> { Object v = pop(); list(peek(), "APPEND").add(v); }
        case 'e' -> { List<Object> items = popMark(); list(peek(), "APPENDS").addAll(items); }
        case 's' -> { Object v = pop(), k = pop(); putPairs(dict(peek(), "SETITEM"), List.of(new Object[] {k, v})); }
        case 'u' -> { List<Object> items = popMark(); putPairs(dict(peek(), "SETITEMS"), items); }
        case 'h' -> push(memoGet(u8()));
        case 'j' -> push(memoGet(u32()));
        case 'q' -> memo.put((long) u8(), peek());
        case 'r' -> memo.put(u32(), peek());
        case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
        case 'J' -> { need(4); push((long) in.getInt()); }
        case 'K' -> push((long) u8());
        case 'M' -> { need(2); push((long) (in.getShort() & 0xFFFF)); }
        case 0x8a -> push(long1(u8()));
        case 'G' -> { need(8); push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); } // BINFLOAT: big-endian
        case 'X' -> push(utf8(u32()));
        case 0x8c -> push(utf8(u8()));
        case 0x8d -> push(utf8(u64()));
        case 'B' -> push(bytes(u32()));
        case 'C' -> push(bytes(u8()));
        case 'N' -> push(null);
        case 0x88 -> push(Boolean.TRUE);
        case 0x89 -> push(Boolean.FALSE);
        default -> throw error(String.format("unknown or unsupported pickle opcode 0x%02x", op));
      }
    }
  }

  private interface Step {
    Object run();
  }

  /** Runs a global's semantics, turning its complaint into an error at the current opcode. */
  private Object call(Step s) {
    try {
      return s.run();
    } catch (UnpicklingException e) {
      throw e;
    } catch (IllegalArgumentException | ArchiveException e) {
      throw error(e.getMessage());
    }
  }

  private PyTuple tupleArg(String op, Object args) {
    if (args instanceof PyTuple t) return t;
    throw new IllegalArgumentException(op + " expects an argument tuple, got " + TorchGlobals.describe(args));
  }

  private List<Object> list(Object o, String op) {
    if (o instanceof ArrayList<?>) {
      @SuppressWarnings("unchecked") List<Object> l = (List<Object>) o;
      return l;
    }
    throw error(op + " on " + TorchGlobals.describe(o) + ", expected a list");
  }

  private Map<Object, Object> dict(Object o, String op) {
    if (o instanceof LinkedHashMap<?, ?>) {
      @SuppressWarnings("unchecked") Map<Object, Object> m = (Map<Object, Object>) o;
      return m;
    }
    throw error(op + " on " + TorchGlobals.describe(o) + ", expected a dict");
  }

  private void putPairs(Map<Object, Object> m, List<Object> kv) {
    if (kv.size() % 2 != 0) throw error("odd number of items (" + kv.size() + ") for dict keys and values");
    for (int i = 0; i < kv.size(); i += 2) {
      Object k = kv.get(i);
      if (!hashable(k, 0)) throw error("unhashable dict key of type " + TorchGlobals.describe(k));
      m.put(k, kv.get(i + 1));
    }
  }

  /** Keys must hash without walking mutable (possibly cyclic) containers. */
  private static boolean hashable(Object k, int depth) {
    if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean
        || k instanceof BigInteger || k instanceof StoredTensor || k instanceof TorchObject) return true;
    if (k instanceof PyTuple t && depth < 16) {
      for (Object o : t.items()) if (!hashable(o, depth + 1)) return false;
      return true;
    }
    return false;
  }

  private void push(Object o) { stack.add(o); }

  private Object pop() {
    if (stack.isEmpty() || stack.getLast() == MARK_OBJ)
      throw error("stack underflow: opcode needs a value but the " + (stack.isEmpty() ? "stack is empty" : "top is a MARK"));
    return stack.removeLast();
  }

  private Object peek() {
    if (stack.isEmpty() || stack.getLast() == MARK_OBJ) throw error("stack underflow: opcode needs a value to act on");
    return stack.getLast();
  }

  /** Pops everything above the most recent MARK, and the MARK. */
  private List<Object> popMark() {
    if (marks.isEmpty()) throw error("stack underflow: no MARK for this opcode");
    int from = marks.removeLast();
    List<Object> view = stack.subList(from, stack.size());
    List<Object> items = new ArrayList<>(view);
    view.clear();
    stack.removeLast(); // the MARK itself
    return items;
  }

  private Object memoGet(long index) {
    if (!memo.containsKey(index)) throw error("memo index " + index + " was never stored");
    return memo.get(index);
  }

  private void need(long n) {
    if (n < 0 || n > in.remaining())
      throw error("truncated pickle: opcode needs " + n + " more bytes, " + in.remaining() + " left");
  }

  private int u8() { need(1); return in.get() & 0xFF; }

  private long u32() { need(4); return in.getInt() & 0xFFFFFFFFL; }

  private long u64() {
    need(8);
    long v = in.getLong();
    if (v < 0) throw error("length " + Long.toUnsignedString(v) + " is too large");
    return v;
  }

  private Object long1(int n) {
    if (n == 0) return 0L;
    byte[] le = bytes(n);
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
    BigInteger v = new BigInteger(be); // two's complement
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private byte[] bytes(long n) {
    need(n);
    byte[] b = new byte[(int) n];
    in.get(b);
    return b;
  }

  private String utf8(long n) {
    byte[] b = bytes(n);
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return cb.toString();
    } catch (CharacterCodingException e) {
      throw error("string of " + n + " bytes is not valid UTF-8");
    }
  }

  /** A GLOBAL operand: ASCII up to '\n', at most 1024 bytes. */
  private String line() {
    int start = in.position();
    for (int i = start; i < in.limit() && i - start <= 1024; i++) {
      if (in.get(i) == '\n') {
        byte[] b = new byte[i - start];
        in.get(b);
        in.get();
        for (byte c : b) if (c < 0x20 || c > 0x7e) throw error("GLOBAL name has a non-printable or non-ASCII byte");
        return new String(b, StandardCharsets.US_ASCII);
      }
    }
    throw error("truncated pickle: GLOBAL name without a newline within 1024 bytes");
  }

  private UnpicklingException error(String what) { return new UnpicklingException(source, opPos, what); }
}
