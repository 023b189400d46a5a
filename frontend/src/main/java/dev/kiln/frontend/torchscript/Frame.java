package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.Stmt;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The state of one function being inlined: its variables (lowering-time values, see {@link LoweringContext}), the
 * statement lists being walked (to know which names are read later), and how control leaves the current block.
 */
final class Frame {
  /** Where a statement list is being walked: the statement at {@code index} is the current one. */
  static final class Cursor {
    final java.util.List<Stmt> stmts;
    final boolean loopBody;
    int index;

    Cursor(java.util.List<Stmt> stmts, boolean loopBody) {
      this.stmts = stmts;
      this.loopBody = loopBody;
    }
  }

  /** The name under which a return inside a run-time branch is merged like a variable. */
  static final String RETURN = "$return";

  final String where;
  final CodeIndex.Source source;
  Map<String, Object> vars = new HashMap<>();
  final Deque<Cursor> cursors = new ArrayDeque<>();

  /** A return was lowered: the rest of the function is skipped; the value is {@code vars[RETURN]}. */
  boolean returned;
  /** A raise was emitted in a run-time block: the rest of that block is dead. */
  boolean terminated;
  boolean breaking;
  boolean continuing;

  /**
   * @param where {@code Class.method} or the function name, for messages
   * @param source the file the function is in, for resolving bare names
   */
  Frame(String where, CodeIndex.Source source) {
    this.where = where;
    this.source = source;
  }

  /** True when the statements after the current one are not reached. */
  boolean leaving() { return returned || terminated || breaking || continuing; }

  Map<String, Object> copyVars() { return new HashMap<>(vars); }
}
