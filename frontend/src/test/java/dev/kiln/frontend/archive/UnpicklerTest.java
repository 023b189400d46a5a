package dev.kiln.frontend.archive;

import static dev.kiln.frontend.archive.PickleWriter.*;
import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnpicklerTest {

  private static Object load(PickleWriter w) { return Unpickler.load(w.bytes(), "t.pkl", null); }

  private static UnpicklingException refused(byte[] bytes) {
    return assertThrows(UnpicklingException.class, () -> Unpickler.load(bytes, "t.pkl", null));
  }

  @Test
  void forbiddenGlobalIsNamedWithFileAndOffset() {
    // what pickle.dumps of os.system('ls') looks like: the classic code-execution payload
    byte[] evil = HexFormat.of().parseHex("8002636f730a73797374656d0a710058020000006c7371018571025271032e");
    UnpicklingException e = refused(evil);
    assertTrue(e.getMessage().startsWith("t.pkl at byte 2: forbidden global 'os.system'"), e.getMessage());
    assertEquals(2, e.offset());
    for (String[] g : new String[][] {{"builtins", "eval"}, {"__builtin__", "getattr"}, {"torch", "load"},
        {"torch._utils", "_rebuild_parameter"}, {"torch", "Tensor"}, {"__torch__.a", "b c"},
        {"__torch__", "x.y"}, {"torch.jit._pickle", "os"}}) {
      UnpicklingException f = refused(new PickleWriter().proto(2).global(g[0], g[1]).op(STOP).bytes());
      assertTrue(f.getMessage().contains("forbidden global '" + g[0] + "." + g[1] + "'"), f.getMessage());
    }
  }

  @Test
  void unknownOpcodeNamesItsOffset() {
    UnpicklingException e = refused(new PickleWriter().proto(2).op(EMPTY_LIST, 0xFF, STOP).bytes());
    assertEquals("t.pkl at byte 3: unknown or unsupported pickle opcode 0xff", e.getMessage());
    // protocol-0 STRING and INST are valid pickle but outside the subset
    assertTrue(refused(new PickleWriter().proto(2).op('S').bytes()).getMessage().contains("opcode 0x53"));
    assertTrue(refused(new PickleWriter().proto(2).op('i').bytes()).getMessage().contains("opcode 0x69"));
  }

  @Test
  void stackUnderflowTruncationAndBadMemo() {
    assertEquals("t.pkl at byte 2: stack underflow: opcode needs a value but the stack is empty",
        refused(new PickleWriter().proto(2).op(REDUCE, STOP).bytes()).getMessage());
    assertTrue(refused(new PickleWriter().proto(2).op(MARK, TUPLE1).bytes()).getMessage().contains("top is a MARK"));
    assertTrue(refused(new PickleWriter().proto(2).op(TUPLE).bytes()).getMessage().contains("no MARK"));
    UnpicklingException t = refused(new PickleWriter().proto(2).op('X').le(16, 4).raw("ab".getBytes()).bytes());
    assertEquals("t.pkl at byte 2: truncated pickle: opcode needs 16 more bytes, 2 left", t.getMessage());
    assertTrue(refused(new PickleWriter().proto(2).op(NONE).bytes()).getMessage().contains("no STOP"));
    assertTrue(refused(new PickleWriter().proto(2).op('J', 1).bytes()).getMessage().contains("truncated"));
    assertTrue(refused(new PickleWriter().proto(2).get(3).op(STOP).bytes()).getMessage()
        .contains("memo index 3 was never stored"));
    assertTrue(refused(new PickleWriter().proto(9).bytes()).getMessage().contains("protocol 9"));
    assertTrue(refused(new PickleWriter().proto(2).op('c').raw("os\nsys".getBytes()).bytes()).getMessage()
        .contains("without a newline"));
  }

  @Test
  void scalarsStringsAndBytes() {
    PickleWriter w = new PickleWriter().proto(2).op(MARK).integer(7).integer(300).integer(-5).integer(1L << 40)
        .op(0x8a, 0).op(0x8a, 9).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1}).op(0x8a, 1).raw(new byte[] {(byte) 0xFF})
        .binfloat(-2.5).str("héllo").shortStr("").op(0x8d).le(2, 8).raw("ok".getBytes())
        .op('C', 2, 1, 2).op('B').le(1, 4).op(9).op(NONE, NEWTRUE, NEWFALSE, TUPLE, STOP);
    PyTuple t = (PyTuple) load(w);
    assertEquals(7L, t.get(0));
    assertEquals(300L, t.get(1));
    assertEquals(-5L, t.get(2));
    assertEquals(1L << 40, t.get(3));
    assertEquals(0L, t.get(4));
    assertEquals(BigInteger.ONE.shiftLeft(64), t.get(5));
    assertEquals(-1L, t.get(6));
    assertEquals(-2.5, t.get(7));
    assertEquals("héllo", t.get(8));
    assertEquals("", t.get(9));
    assertEquals("ok", t.get(10));
    assertArrayEquals(new byte[] {1, 2}, (byte[]) t.get(11));
    assertArrayEquals(new byte[] {9}, (byte[]) t.get(12));
    assertNull(t.get(13));
    assertEquals(true, t.get(14));
    assertEquals(false, t.get(15));
    assertTrue(refused(new PickleWriter().proto(2).op(0x8c, 1, 0xC3, STOP).bytes()).getMessage().contains("UTF-8"));
  }

  @Test
  void containersAndMemo() {
    // protocol 4 style: FRAME, MEMOIZE; a list shared through the memo stays one instance
    PickleWriter w = new PickleWriter().proto(4).op(0x95).le(40, 8).op(MARK)
        .op(EMPTY_LIST, MEMOIZE).integer(1).op(APPEND).op(MARK).integer(2).integer(3).op(APPENDS)
        .op(EMPTY_DICT).shortStr("a").op('h', 0).op(SETITEM).op(MARK).shortStr("b").integer(4).shortStr("c")
        .op(NONE).op(SETITEMS)
        .op(MARK).integer(5).op(LIST).op(MARK).integer(6).shortStr("x").op(DICT)
        .op(EMPTY_TUPLE).integer(1).op(TUPLE1).integer(1).integer(2).op(TUPLE2).integer(1).integer(2).integer(3)
        .op(TUPLE3).op(TUPLE, STOP);
    List<?> outer = ((PyTuple) load(w)).items();
    List<?> l = (List<?>) outer.get(0);
    assertEquals(List.of(1L, 2L, 3L), l);
    Map<?, ?> d = (Map<?, ?>) outer.get(1);
    assertSame(l, d.get("a"));
    assertEquals(List.of("a", "b", "c"), List.copyOf(d.keySet()));
    assertNull(d.get("c"));
    assertEquals(List.of(5L), outer.get(2));
    assertEquals(Map.of(6L, "x"), outer.get(3));
    assertEquals(PyTuple.EMPTY, outer.get(4));
    assertEquals(PyTuple.of(1L), outer.get(5));
    assertEquals(PyTuple.of(1L, 2L), outer.get(6));
    assertEquals(PyTuple.of(1L, 2L, 3L), outer.get(7));
    assertEquals(8, outer.size());
  }

  @Test
  void unhashableKeysAndMisappliedOpcodesAreRefused() {
    assertTrue(refused(new PickleWriter().proto(2).op(EMPTY_DICT, EMPTY_LIST).integer(1).op(SETITEM, STOP).bytes())
        .getMessage().contains("unhashable dict key of type ArrayList"));
    assertTrue(refused(new PickleWriter().proto(2).op(EMPTY_TUPLE).integer(1).op(APPEND, STOP).bytes())
        .getMessage().contains("APPEND on PyTuple, expected a list"));
    assertTrue(refused(new PickleWriter().proto(2).op(EMPTY_DICT).integer(1).op(SETITEMS, STOP).bytes())
        .getMessage().contains("no MARK"));
    assertTrue(refused(new PickleWriter().proto(2).integer(1).op(EMPTY_TUPLE, REDUCE, STOP).bytes())
        .getMessage().contains("REDUCE on Long, which is not a callable global"));
    assertTrue(refused(new PickleWriter().proto(2).global("collections", "OrderedDict").op(EMPTY_TUPLE, NEWOBJ, STOP)
        .bytes()).getMessage().contains("NEWOBJ on global collections.OrderedDict, expected a __torch__ class"));
    assertTrue(refused(new PickleWriter().proto(2).op(EMPTY_LIST, EMPTY_DICT, BUILD, STOP).bytes())
        .getMessage().contains("BUILD on ArrayList"));
    assertTrue(refused(new PickleWriter().proto(2).op(NONE, BINPERSID, STOP).bytes())
        .getMessage().contains("no loader"));
  }

  @Test
  void torchObjectsAndTypedLists() {
    PickleWriter w = new PickleWriter().proto(2).global("__torch__.m", "Net").op(EMPTY_TUPLE, NEWOBJ)
        .op(EMPTY_DICT).op(MARK).shortStr("training").op(NEWFALSE).shortStr("sizes")
        .global("torch.jit._pickle", "build_intlist").op(EMPTY_LIST, MARK).integer(3).integer(4).op(APPENDS, TUPLE1,
            REDUCE)
        .shortStr("names").global("torch.jit._pickle", "restore_type_tag").op(EMPTY_LIST).shortStr("List[str]")
        .op(TUPLE2, REDUCE).shortStr("bind").global("__torch__.torch.classes.x", "Y").op(EMPTY_TUPLE, NEWOBJ)
        .op(EMPTY_DICT).op(BUILD).op(SETITEMS, BUILD, STOP);
    TorchObject net = (TorchObject) load(w);
    assertEquals("__torch__.m.Net", net.qualifiedName());
    assertFalse(net.isTorchBind());
    assertEquals(false, net.get("training"));
    assertEquals(List.of(3L, 4L), net.get("sizes"));
    assertEquals(List.of(), net.get("names"));
    TorchObject bind = (TorchObject) net.get("bind");
    assertTrue(bind.isTorchBind() && bind.hasRawState(), "TorchBind state is kept raw even when it is a dict");
    assertEquals(Map.of(), bind.state());

    PickleWriter bad = new PickleWriter().proto(2).global("torch.jit._pickle", "build_doublelist")
        .op(EMPTY_LIST).integer(1).op(APPEND, TUPLE1);
    int reduceAt = bad.size();
    UnpicklingException e = refused(bad.op(REDUCE, STOP).bytes());
    assertEquals("t.pkl at byte " + reduceAt + ": torch.jit._pickle.build_doublelist expects Double items, got Long",
        e.getMessage());
  }
}
