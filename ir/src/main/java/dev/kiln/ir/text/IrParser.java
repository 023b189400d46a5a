package dev.kiln.ir.text;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.Ops;
import dev.kiln.ir.text.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads the IR text of docs/ir.md back into {@link Graph}s. Value names are kept ({@link Value#setName}) so that
 * {@code IrPrinter.print(IrParser.parse(t)) == t} for printed text. Result types are taken as written; no type
 * inference or verification runs here (that is {@code dev.kiln.ir.Verifier}'s job). The parser checks only what
 * it needs to build a well-formed graph: known ops, defined and unique value names, as many result types as
 * result names, the op's number of blocks, and that the header's result types match the {@code return}.
 */
public final class IrParser {
  private final TokenCursor in;
  private final TypeParser types;
  private final AttrParser attrs;
  /** Where each value name of the current graph was defined, graph-wide (names are unique per graph). */
  private final Map<String, Token> defined = new HashMap<>();
  /** Visible values, innermost block last. */
  private final Deque<Map<String, Value>> scopes = new ArrayDeque<>();

  private IrParser(String text, String sourceName) {
    this.in = new TokenCursor(IrLexer.lex(text, sourceName), sourceName);
    this.types = new TypeParser(in);
    this.attrs = new AttrParser(in, types);
  }

  /**
   * Parses text holding exactly one graph.
   *
   * @param text IR text, not null
   * @param sourceName file name or other label used in error messages, not null
   * @throws ParseException with {@code sourceName:line:col: } and what was expected
   */
  public static Graph parse(String text, String sourceName) {
    IrParser p = new IrParser(text, sourceName);
    if (p.in.at(Kind.EOF)) throw p.in.fail(p.in.peek(), "expected 'graph', got end of input");
    Graph g = p.graph();
    if (!p.in.at(Kind.EOF))
      throw p.in.fail(p.in.peek(), "expected end of input after graph @" + g.name() + " (one graph expected; use parseModule for several), got "
          + p.in.peek().describe());
    return g;
  }

  /**
   * Parses one type on its own, such as {@code f32[N,3,224,224]} (for command-line options).
   *
   * @throws ParseException with {@code sourceName:line:col: } and what was expected
   */
  public static Type parseType(String text, String sourceName) {
    IrParser p = new IrParser(text, sourceName);
    Type t = p.types.type();
    if (!p.in.at(Kind.EOF)) throw p.in.fail(p.in.peek(), "expected end of the type, got " + p.in.peek().describe());
    return t;
  }

  /**
   * Parses a module: zero or more graphs, in order. Graph names must differ.
   *
   * @throws ParseException with {@code sourceName:line:col: } and what was expected
   */
  public static List<Graph> parseModule(String text, String sourceName) {
    IrParser p = new IrParser(text, sourceName);
    List<Graph> out = new ArrayList<>();
    Map<String, Token> names = new HashMap<>();
    while (!p.in.at(Kind.EOF)) {
      Token name = p.in.peek(1);
      Graph g = p.graph();
      Token prev = names.putIfAbsent(g.name(), name);
      if (prev != null) throw p.in.fail(name, "graph @" + g.name() + " is already defined at " + where(prev));
      out.add(g);
    }
    return out;
  }

  // graph := 'graph' '@' NAME '(' params ')' '->' '(' types ')' '{' node* '}'
  private Graph graph() {
    defined.clear();
    scopes.clear();
    scopes.push(new HashMap<>());
    in.expectName("graph");
    Graph g = new Graph(in.expect(Kind.GLOBAL, "a graph name such as @forward").text());
    in.expect(Kind.LPAREN, "'(' starting the parameters of @" + g.name());
    if (!in.at(Kind.RPAREN)) {
      do {
        Token name = in.expect(Kind.VALUE, "a parameter (%name: type)");
        in.expect(Kind.COLON, "':' and a type after parameter %" + name.text());
        define(name, g.addParam(types.type(), name.text()));
      } while (in.accept(Kind.COMMA));
    }
    in.expect(Kind.RPAREN, "',' or ')' after a parameter");
    in.expect(Kind.ARROW, "'->' and the result types of @" + g.name());
    Token resultsAt = in.expect(Kind.LPAREN, "'(' starting the result types of @" + g.name());
    List<Type> declared = new ArrayList<>();
    if (!in.at(Kind.RPAREN)) {
      do declared.add(types.type()); while (in.accept(Kind.COMMA));
    }
    in.expect(Kind.RPAREN, "',' or ')' after a result type");
    Token open = in.expect(Kind.LBRACE, "'{' opening the body of @" + g.name());
    Token close = blockBody(g.body(), open, "graph @" + g.name());
    checkResults(g, declared, resultsAt, close);
    return g;
  }

  private void checkResults(Graph g, List<Type> declared, Token resultsAt, Token close) {
    Node last = g.body().terminator();
    if (last == null || !last.op().name().equals("return")) {
      if (!declared.isEmpty())
        throw in.fail(close, "expected return(...) ending graph @" + g.name() + ", which declares " + declared.size() + " result(s)");
      return;
    }
    List<Type> returned = last.operands().stream().map(Value::type).toList();
    if (!texts(returned).equals(texts(declared)))
      throw in.fail(resultsAt, "graph @" + g.name() + " declares results (" + texts(declared) + ") but its return gives ("
          + texts(returned) + ")");
  }

  private static String texts(List<Type> ts) { return ts.stream().map(Type::text).collect(Collectors.joining(", ")); }

  /** Reads nodes up to the '}' matching {@code open}; returns that '}'. */
  private Token blockBody(Block block, Token open, String what) {
    Token first = in.peek();
    if (!first.newlineBefore() && !first.is(Kind.EOF))
      throw in.fail(first, "expected a new line after '{' opening " + what + ", got " + first.describe());
    while (!in.at(Kind.RBRACE)) {
      if (in.at(Kind.EOF))
        throw in.fail(in.peek(), "expected '}' closing " + what + " opened at " + where(open) + ", got end of input");
      node(block);
    }
    return in.next();
  }

  // node := [VALUE (',' VALUE)* '='] OPNAME '(' [VALUE (',' VALUE)*] ')' [attrs] [':' results] [blocks]
  private void node(Block block) {
    Token start = in.peek();
    if (!start.newlineBefore()) throw in.fail(start, "expected a new line before the next node, got " + start.describe());
    List<Token> names = new ArrayList<>();
    if (in.at(Kind.VALUE)) {
      do names.add(in.expect(Kind.VALUE, "a result name (%name)")); while (in.accept(Kind.COMMA));
      in.expect(Kind.EQUALS, "'=' after the result names");
    }
    Token opTok = in.expect(Kind.NAME, "an op name such as nn.add");
    OpDef op = Ops.find(opTok.text());
    if (op == null) throw in.fail(opTok, "unknown op '" + opTok.text() + "' (expected an op of the registry; `kiln ops` lists them)");
    List<Value> operands = new ArrayList<>();
    if (in.accept(Kind.LPAREN)) {
      if (!in.at(Kind.RPAREN)) {
        do operands.add(use(in.expect(Kind.VALUE, "an operand (%name)"))); while (in.accept(Kind.COMMA));
      }
      in.expect(Kind.RPAREN, "',' or ')' after an operand of " + op.name());
    }
    Map<String, Attr> attrMap = Map.of();
    if (in.at(Kind.LBRACE) && !in.peek(1).newlineBefore() && !in.peek(1).is(Kind.RBRACE)) attrMap = attrs.attrs();
    List<Type> resultTypes = new ArrayList<>();
    Token typesAt = in.peek();
    if (in.accept(Kind.COLON)) {
      typesAt = in.peek();
      if (in.accept(Kind.LPAREN)) {
        do resultTypes.add(types.type()); while (in.accept(Kind.COMMA));
        in.expect(Kind.RPAREN, "',' or ')' after a result type");
      } else {
        resultTypes.add(types.type());
      }
    }
    if (resultTypes.size() != names.size())
      throw in.fail(typesAt, op.name() + " names " + names.size() + " result(s), expected as many result types after ':', got "
          + resultTypes.size());
    Node n = Node.create(op, operands, attrMap, resultTypes, 0);
    block.append(n);
    while (in.at(Kind.LBRACE)) nestedBlock(n);
    if (n.blocks().size() != op.numBlocks())
      throw in.fail(in.peek(), op.name() + " takes " + op.numBlocks() + " block(s), got " + n.blocks().size());
    // Results are defined after the blocks: a node's own blocks cannot see its results.
    for (int i = 0; i < names.size(); i++) define(names.get(i), n.result(i));
  }

  // block := '{' NEWLINE ['^' '(' param (',' param)* ')' ':' NEWLINE] node* '}'
  private void nestedBlock(Node n) {
    Token open = in.expect(Kind.LBRACE, "'{' opening a block");
    Block b = new Block();
    n.addBlock(b);
    scopes.push(new HashMap<>());
    String what = "block " + n.blocks().size() + " of " + n.op().name();
    if (in.at(Kind.CARET) && in.peek().newlineBefore()) {
      in.next();
      in.expect(Kind.LPAREN, "'(' after '^' starting block arguments");
      do {
        Token name = in.expect(Kind.VALUE, "a block argument (%name: type)");
        in.expect(Kind.COLON, "':' and a type after block argument %" + name.text());
        define(name, b.addArg(types.type(), name.text()));
      } while (in.accept(Kind.COMMA));
      in.expect(Kind.RPAREN, "',' or ')' after a block argument");
      in.expect(Kind.COLON, "':' after the block arguments");
    }
    blockBody(b, open, what);
    scopes.pop();
  }

  private void define(Token name, Value v) {
    Token prev = defined.putIfAbsent(name.text(), name);
    if (prev != null)
      throw in.fail(name, "value %" + name.text() + " is already defined at " + where(prev) + " (expected a new name: names are unique within a graph)");
    v.setName(name.text());
    scopes.peek().put(name.text(), v);
  }

  private Value use(Token name) {
    for (Map<String, Value> scope : scopes) {
      Value v = scope.get(name.text());
      if (v != null) return v;
    }
    Token def = defined.get(name.text());
    if (def != null)
      throw in.fail(name, "value %" + name.text() + " is not visible here (defined at " + where(def) + " inside a block that has ended)");
    throw in.fail(name, "undefined value %" + name.text() + " (expected a parameter, block argument or earlier result)");
  }

  private static String where(Token t) { return t.line() + ":" + t.col(); }
}
