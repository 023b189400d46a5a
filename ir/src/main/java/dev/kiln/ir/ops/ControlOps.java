package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.ANY;
import static dev.kiln.ir.OpDef.AttrKind.STR;
import static dev.kiln.ir.OpDef.Trait.CONTROL_FLOW;
import static dev.kiln.ir.OpDef.Trait.PURE;
import static dev.kiln.ir.OpDef.Trait.SIDE_EFFECT;
import static dev.kiln.ir.OpDef.Trait.TERMINATOR;

import dev.kiln.ir.Attr;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import java.util.ArrayList;
import java.util.List;

/** Constants, terminators and structured control flow (as TorchScript's prim::If and prim::Loop). */
public final class ControlOps {
  private ControlOps() {}

  /**
   * A constant. {@code name} refers to a weight in the weight table kept beside the graph; {@code value} holds
   * a small literal (a number, a flat list for a tensor or list, or none). The result type is always written.
   */
  public static final OpDef CONST = OpDef.op("const")
      .summary("constant or named weight: %w = const {name=\"fc.weight\"} : f32[10,4]; %c = const {value=2.0} : float")
      .optAttr("name", STR).optAttr("value", ANY)
      .traits(PURE).build();

  public static final OpDef RETURN = OpDef.op("return")
      .summary("ends a graph body with its results: return(%y)")
      .operands("values*").traits(TERMINATOR).rule(c -> List.of()).build();

  public static final OpDef YIELD = OpDef.op("yield")
      .summary("ends an if or loop block with the values it passes out: yield(%a)")
      .operands("values*").traits(TERMINATOR).rule(c -> List.of()).build();

  /**
   * Two blocks (then, else), no block arguments; each yields values of the result types, which are written
   * explicitly.
   */
  public static final OpDef IF = OpDef.op("if")
      .summary("structured if: %r = if(%cond) : f32[2] { ... yield(%a) } { ... yield(%b) }")
      .operands("cond").blocks(2).traits(CONTROL_FLOW).build();

  /**
   * TorchScript's loop: runs while {@code i < trip} and the condition holds. The body's arguments are the
   * iteration number and the carried values; it yields the next condition and carried values. The results are
   * the carried values after the last iteration.
   */
  public static final OpDef LOOP = OpDef.op("loop")
      .summary("structured loop: %r = loop(%trip, %cond, %init) : f32[2] { ^(%i: int, %acc: f32[2]): ... yield(%c, %next) }")
      .operands("trip", "cond", "init*").blocks(1).traits(CONTROL_FLOW)
      .rule(c -> {
        if (c.type(0) != PrimType.INT) throw c.fail("trip count must be int, got " + c.type(0).text());
        if (c.type(1) != PrimType.BOOL) throw c.fail("condition must be bool, got " + c.type(1).text());
        return new ArrayList<>(c.operandTypes().subList(2, c.numOperands()));
      }).build();

  /** Raises an error with {@code message} when executed (TorchScript's RaiseException). */
  public static final OpDef RAISE = OpDef.op("raise")
      .summary("raise an error: raise {message=\"expected 4D input\", kind=\"ValueError\"}")
      .attr("message", STR, new Attr.Str("")).attr("kind", STR, new Attr.Str("Exception"))
      .traits(SIDE_EFFECT).rule(c -> List.of()).build();

  /** Fails with {@code message} unless {@code cond} is true (a guard; see the tracer). */
  public static final OpDef ASSERT = OpDef.op("assert")
      .summary("runtime check: assert(%ok) {message=\"batch must be 1\"}")
      .operands("cond").attr("message", STR, new Attr.Str("assertion failed"))
      .traits(SIDE_EFFECT).rule(c -> {
        if (c.type(0) != PrimType.BOOL) throw c.fail("condition must be bool, got " + c.type(0).text());
        return List.of();
      }).build();

  public static final List<OpDef> ALL = List.of(CONST, RETURN, YIELD, IF, LOOP, RAISE, ASSERT);

}
