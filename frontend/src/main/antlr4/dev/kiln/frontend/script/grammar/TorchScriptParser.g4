// Syntax of TorchScript source files (see TorchScriptLexer.g4). INDENT, DEDENT and NEWLINE come
// from IndentingTokenSource. Assignment targets and type annotations are parsed as expressions or
// typeExpr here and checked by the AST builder, which reports what was expected.
parser grammar TorchScriptParser;

options { tokenVocab = TorchScriptLexer; }

file_ : topLevel* EOF;

topLevel
  : importStmt
  | classDef
  | funcDef
  ;

importStmt
  : IMPORT dottedAsName (COMMA dottedAsName)* NEWLINE                                 # importModules
  | FROM dottedName IMPORT (STAR | importAsNames | LPAR importAsNames COMMA? RPAR) NEWLINE # importFrom
  ;
dottedAsName  : dottedName (AS NAME)?;
importAsNames : importAsName (COMMA importAsName)*;
importAsName  : NAME (AS NAME)?;
dottedName    : NAME (DOT NAME)*;

decorator : AT expr NEWLINE;

classDef
  : decorator* CLASS NAME (LPAR (expr (COMMA expr)* COMMA?)? RPAR)? COLON classBody
  ;
classBody
  : NEWLINE INDENT classMember+ DEDENT
  | PASS NEWLINE
  ;
classMember
  : NAME COLON typeExpr (ASSIGN expr)? NEWLINE          # attributeDecl
  | NAME LSQB STRING RSQB ASSIGN typeExpr NEWLINE       # annotationEntry
  | NAME ASSIGN expr NEWLINE                            # classAssign
  | funcDef                                             # method
  | PASS NEWLINE                                        # classPass
  | STRING+ NEWLINE                                     # classDocstring
  ;

funcDef
  : decorator* DEF NAME LPAR paramList? RPAR (ARROW typeExpr)? COLON block
  ;
paramList : param (COMMA param)* COMMA?;
param     : NAME (COLON typeExpr)? (ASSIGN expr)?;

block
  : simpleStmts
  | NEWLINE INDENT stmt+ DEDENT
  ;

stmt
  : simpleStmts
  | ifStmt
  | forStmt
  | whileStmt
  ;

simpleStmts : simpleStmt (SEMI simpleStmt)* SEMI? NEWLINE;

simpleStmt
  : PASS                                        # passStmt
  | BREAK                                       # breakStmt
  | CONTINUE                                    # continueStmt
  | RETURN exprList?                            # returnStmt
  | RAISE (expr (FROM expr)?)?                  # raiseStmt
  | ASSERT expr (COMMA expr)?                   # assertStmt
  | DEL exprList                                # delStmt
  | exprList assignTail?                        # exprOrAssignStmt
  ;

// One alternative above plus a tail keeps the decision LL(1) after the (possibly long) first list.
assignTail
  : COLON typeExpr (ASSIGN exprList)?   # annAssignTail
  | augOp exprList                      # augAssignTail
  | (ASSIGN exprList)+                  # plainAssignTail
  ;

augOp
  : PLUS_ASSIGN | MINUS_ASSIGN | STAR_ASSIGN | SLASH_ASSIGN | DSLASH_ASSIGN | PERCENT_ASSIGN
  | DSTAR_ASSIGN | AT_ASSIGN | AMP_ASSIGN | VBAR_ASSIGN | CIRC_ASSIGN | LSHIFT_ASSIGN | RSHIFT_ASSIGN
  ;

ifStmt    : IF expr COLON block (ELIF expr COLON block)* (ELSE COLON block)?;
forStmt   : FOR targetList IN exprList COLON block;
whileStmt : WHILE expr COLON block;

// Loop targets stop before `in`, so they are primaries (names, attributes, subscripts, tuples).
targetList : primary (COMMA primary)* COMMA?;

// One expression, or a tuple written without parentheses (`return a, b`, `a, b = f(x)`).
exprList : expr (COMMA expr)* COMMA?;

// Alternatives are in decreasing precedence, as in Python. Bracketed displays below are each one
// alternative whose shape (paren vs tuple, list vs comprehension) the AST builder reads off, so the
// parser decides with one token of lookahead instead of scanning to the closing bracket.
expr
  : primary                                                     # primaryExpr
  | <assoc = right> expr DSTAR expr                             # powerExpr
  | op = (MINUS | PLUS | TILDE) expr                            # unaryExpr
  | expr op = (STAR | SLASH | DSLASH | PERCENT | AT) expr       # mulExpr
  | expr op = (PLUS | MINUS) expr                               # addExpr
  | expr op = (LSHIFT | RSHIFT) expr                            # shiftExpr
  | expr AMP expr                                               # bitAndExpr
  | expr CIRC expr                                              # bitXorExpr
  | expr VBAR expr                                              # bitOrExpr
  | expr compOp expr                                            # compareExpr
  | NOT expr                                                    # notExpr
  | expr AND expr                                               # andExpr
  | expr OR expr                                                # orExpr
  | <assoc = right> expr IF expr ELSE expr                      # condExpr
  ;

// `is not` comes before `is`: `x is not None` could also read as `x is (not None)`; ANTLR takes the first.
compOp : IS NOT | IS | NOT IN | IN | LT | GT | EQEQ | NOTEQ | LE | GE;

primary
  : atom                               # atomPrimary
  | primary DOT NAME                   # attributePrimary
  | primary LPAR argList? RPAR         # callPrimary
  | primary LSQB subscriptList RSQB    # subscriptPrimary
  ;

argList : argument (COMMA argument)* COMMA?;
argument
  : NAME ASSIGN expr    # keywordArg
  | expr                # positionalArg
  ;

subscriptList : subscript (COMMA subscript)* COMMA?;
// An index, or a slice when `colon` is present; written so the choice is made after the first expr.
subscript
  : lower = expr (colon = COLON upper = expr? (COLON step = expr?)?)?
  | colon = COLON upper = expr? (COLON step = expr?)?
  ;

atom
  : LPAR (expr (COMMA expr)* COMMA?)? RPAR                          # parenAtom
  | LSQB (expr (compFor | (COMMA expr)* COMMA?))? RSQB              # listAtom
  | LBRACE (dictEntry (compFor | (COMMA dictEntry)* COMMA?))? RBRACE # dictAtom
  | NAME                                                 # nameAtom
  | INT                                                  # intAtom
  | FLOAT                                                # floatAtom
  | STRING+                                              # stringAtom
  | NONE                                                 # noneAtom
  | TRUE                                                 # trueAtom
  | FALSE                                                # falseAtom
  | ELLIPSIS                                             # ellipsisAtom
  ;

dictEntry : key = expr COLON value = expr;
compFor   : FOR targetList IN expr (IF expr)*;

// Types: `Tensor`, `Optional[T]`, `Tuple[()]`, `__torch__.a.___torch_mangle_3.C`, `None`.
typeExpr
  : NONE                                          # noneType
  | dottedName (LSQB typeArgs RSQB)?              # namedType
  ;
typeArgs : typeArg (COMMA typeArg)* COMMA?;
typeArg
  : typeExpr      # typeArgType
  | LPAR RPAR     # typeArgEmpty
  ;
