package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptParser.*;
import dev.kiln.frontend.script.grammar.TorchScriptParserBaseVisitor;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.tree.TerminalNode;

/** ANTLR visitor from a file's parse tree to {@link ScriptModule}: imports, classes and their members, functions. */
final class ModuleBuilder extends TorchScriptParserBaseVisitor<ClassMember> {
  private final String fileName;
  private final ExprBuilder exprs;
  private final StmtBuilder stmts;

  ModuleBuilder(String fileName) {
    this.fileName = fileName;
    this.exprs = new ExprBuilder(fileName);
    this.stmts = new StmtBuilder(exprs);
  }

  ScriptModule build(File_Context ctx) {
    List<Import> imports = new ArrayList<>();
    List<ClassDef> classes = new ArrayList<>();
    List<FunctionDef> functions = new ArrayList<>();
    for (TopLevelContext top : ctx.topLevel()) {
      if (top.importStmt() != null) imports.addAll(imports(top.importStmt()));
      else if (top.classDef() != null) classes.add(classDef(top.classDef()));
      else functions.add(funcDef(top.funcDef()));
    }
    return new ScriptModule(fileName, imports, classes, functions);
  }

  private List<Import> imports(ImportStmtContext ctx) {
    List<Import> out = new ArrayList<>();
    if (ctx instanceof ImportModulesContext m) {
      for (DottedAsNameContext d : m.dottedAsName()) {
        out.add(new Import(dotted(d.dottedName()), null, d.NAME() == null ? null : d.NAME().getText(), exprs.pos(d)));
      }
      return out;
    }
    ImportFromContext f = (ImportFromContext) ctx;
    String module = dotted(f.dottedName());
    if (f.STAR() != null) {
      out.add(new Import(module, "*", null, exprs.pos(f.STAR().getSymbol())));
      return out;
    }
    for (ImportAsNameContext n : f.importAsNames().importAsName()) {
      out.add(new Import(module, n.NAME(0).getText(), n.NAME().size() > 1 ? n.NAME(1).getText() : null, exprs.pos(n)));
    }
    return out;
  }

  private static String dotted(DottedNameContext ctx) {
    return String.join(".", ctx.NAME().stream().map(TerminalNode::getText).toList());
  }

  private ClassDef classDef(ClassDefContext ctx) {
    List<ClassMember> members = new ArrayList<>();
    for (ClassMemberContext m : ctx.classBody().classMember()) {
      ClassMember member = visit(m);
      if (member != null) members.add(member);
    }
    List<Expr> bases = ctx.expr().stream().map(exprs::visit).toList();
    return new ClassDef(ctx.NAME().getText(), bases, members, decorators(ctx.decorator()), exprs.pos(ctx.CLASS().getSymbol()));
  }

  @Override
  public ClassMember visitAttributeDecl(AttributeDeclContext ctx) {
    Expr value = ctx.expr() == null ? null : exprs.visit(ctx.expr());
    return new ClassMember.AttributeDecl(ctx.NAME().getText(), exprs.type(ctx.typeExpr()), value, exprs.pos(ctx));
  }

  @Override
  public ClassMember visitAnnotationEntry(AnnotationEntryContext ctx) {
    if (!ctx.NAME().getText().equals("__annotations__")) {
      throw new ScriptSyntaxException(exprs.pos(ctx), "unexpected subscript assignment to '" + ctx.NAME().getText()
          + "' in a class body, expected __annotations__[\"name\"] = Type");
    }
    String key = exprs.strings(List.of(ctx.STRING()));
    return new ClassMember.AnnotationEntry(key, exprs.type(ctx.typeExpr()), exprs.pos(ctx));
  }

  @Override
  public ClassMember visitClassAssign(ClassAssignContext ctx) {
    return new ClassMember.ClassAssign(ctx.NAME().getText(), exprs.visit(ctx.expr()), exprs.pos(ctx));
  }

  @Override
  public ClassMember visitMethod(MethodContext ctx) { return funcDef(ctx.funcDef()); }

  /** {@code pass} and docstrings in a class body declare nothing. */
  @Override
  public ClassMember visitClassPass(ClassPassContext ctx) { return null; }

  @Override
  public ClassMember visitClassDocstring(ClassDocstringContext ctx) { return null; }

  private FunctionDef funcDef(FuncDefContext ctx) {
    List<FunctionDef.Param> params = new ArrayList<>();
    if (ctx.paramList() != null) {
      boolean sawDefault = false;
      for (ParamContext p : ctx.paramList().param()) {
        String name = p.NAME().getText();
        if (params.stream().anyMatch(q -> q.name().equals(name))) {
          throw new ScriptSyntaxException(exprs.pos(p), "duplicate parameter '" + name + "'");
        }
        if (p.expr() == null && sawDefault) {
          throw new ScriptSyntaxException(exprs.pos(p), "parameter '" + name + "' without a default follows one with a default");
        }
        sawDefault |= p.expr() != null;
        params.add(new FunctionDef.Param(name, p.typeExpr() == null ? null : exprs.type(p.typeExpr()),
            p.expr() == null ? null : exprs.visit(p.expr()), exprs.pos(p)));
      }
    }
    TypeExpr returns = ctx.typeExpr() == null ? null : exprs.type(ctx.typeExpr());
    return new FunctionDef(ctx.NAME().getText(), params, returns, stmts.block(ctx.block()),
        decorators(ctx.decorator()), exprs.pos(ctx.DEF().getSymbol()));
  }

  private List<Expr> decorators(List<DecoratorContext> ctxs) {
    return ctxs.stream().map(d -> exprs.visit(d.expr())).toList();
  }
}
