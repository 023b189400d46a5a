// Tokens of TorchScript source: the Python subset torch.jit.save prints (PyTorch 1.13) and users write
// under @torch.jit.script. NEWLINE carries the indentation that follows it; IndentingTokenSource
// (Java) turns it into NEWLINE / INDENT / DEDENT and drops newlines inside brackets.
lexer grammar TorchScriptLexer;

tokens { INDENT, DEDENT }

// Keywords come before NAME so that they win on equal length.
DEF      : 'def';
CLASS    : 'class';
IF       : 'if';
ELIF     : 'elif';
ELSE     : 'else';
FOR      : 'for';
IN       : 'in';
WHILE    : 'while';
BREAK    : 'break';
CONTINUE : 'continue';
RETURN   : 'return';
PASS     : 'pass';
RAISE    : 'raise';
ASSERT   : 'assert';
DEL      : 'del';
NOT      : 'not';
AND      : 'and';
OR       : 'or';
IS       : 'is';
NONE     : 'None';
TRUE     : 'True';
FALSE    : 'False';
IMPORT   : 'import';
FROM     : 'from';
AS       : 'as';

// A line break plus the indentation of the next line (blank and comment-only lines yield several).
NEWLINE : ('\r'? '\n' | '\r') [ \t\f]*;

NAME : [a-zA-Z_] [a-zA-Z_0-9]*;

FLOAT
  : DIGITS '.' DIGITS? EXPONENT?
  | '.' DIGITS EXPONENT?
  | DIGITS EXPONENT
  ;
INT
  : DIGITS
  | '0' [xX] [0-9a-fA-F] ('_'? [0-9a-fA-F])*
  | '0' [oO] [0-7] ('_'? [0-7])*
  | '0' [bB] [01] ('_'? [01])*
  ;
fragment DIGITS   : [0-9] ('_'? [0-9])*;
fragment EXPONENT : [eE] [+-]? DIGITS;

STRING
  : STRING_PREFIX? ( '\'\'\'' (ESCAPE | ~'\\')*? '\'\'\''
                   | '"""' (ESCAPE | ~'\\')*? '"""'
                   | '\'' (ESCAPE | ~[\\'\r\n])* '\''
                   | '"' (ESCAPE | ~[\\"\r\n])* '"'
                   )
  ;
// A quote that is never closed on its line: longer matches above win, so this only fires on real errors.
UNTERMINATED_STRING
  : STRING_PREFIX? ( '\'' (ESCAPE | ~[\\'\r\n])* | '"' (ESCAPE | ~[\\"\r\n])* )
  ;
fragment STRING_PREFIX : [rRuU];
fragment ESCAPE        : '\\' ('\r'? '\n' | .);

ELLIPSIS  : '...';
DOT       : '.';
COMMA     : ',';
COLON     : ':';
SEMI      : ';';
ARROW     : '->';
LPAR      : '(';
RPAR      : ')';
LSQB      : '[';
RSQB      : ']';
LBRACE    : '{';
RBRACE    : '}';
AT        : '@';

PLUS_ASSIGN    : '+=';
MINUS_ASSIGN   : '-=';
STAR_ASSIGN    : '*=';
SLASH_ASSIGN   : '/=';
DSLASH_ASSIGN  : '//=';
PERCENT_ASSIGN : '%=';
DSTAR_ASSIGN   : '**=';
AT_ASSIGN      : '@=';
AMP_ASSIGN     : '&=';
VBAR_ASSIGN    : '|=';
CIRC_ASSIGN    : '^=';
LSHIFT_ASSIGN  : '<<=';
RSHIFT_ASSIGN  : '>>=';

EQEQ      : '==';
NOTEQ     : '!=';
LE        : '<=';
GE        : '>=';
LT        : '<';
GT        : '>';
ASSIGN    : '=';
DSTAR     : '**';
STAR      : '*';
DSLASH    : '//';
SLASH     : '/';
PERCENT   : '%';
PLUS      : '+';
MINUS     : '-';
TILDE     : '~';
LSHIFT    : '<<';
RSHIFT    : '>>';
AMP       : '&';
VBAR      : '|';
CIRC      : '^';

COMMENT   : '#' ~[\r\n]* -> skip;
LINE_JOIN : '\\' [ \t]* ('\r'? '\n' | '\r') -> skip;
SPACES    : [ \t\f]+ -> skip;

// Any other character; IndentingTokenSource reports it with its position.
ERROR_CHAR : .;
