#define G_LOG_DOMAIN "cmdb-schema"

#include "cmdbuilder.h"
#include "schema/cmdb-expression-private.h"

#include <stdlib.h>
#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-expression-error-quark, cmdb_expression_error)
/* clang-format on */

typedef enum
{
  NODE_LITERAL,
  NODE_NAME,
  NODE_NOT,
  NODE_AND,
  NODE_OR,
  NODE_COMPARE,
} NodeKind;

typedef enum
{
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
} CompareOp;

typedef struct _ExprNode ExprNode;
struct _ExprNode
{
  NodeKind kind;
  CompareOp op;
  JsonNode *literal; /* NODE_LITERAL */
  char *name;        /* NODE_NAME */
  guint offset;
  ExprNode *left;
  ExprNode *right;
};

struct _CmdbExpression
{
  ExprNode *root;
};

static void
expr_node_free (ExprNode *node)
{
  if (node == NULL)
    return;
  expr_node_free (node->left);
  expr_node_free (node->right);
  if (node->literal != NULL)
    json_node_unref (node->literal);
  g_free (node->name);
  g_free (node);
}

/* ---- lexer ---- */

typedef enum
{
  TOKEN_END,
  TOKEN_LPAREN,
  TOKEN_RPAREN,
  TOKEN_COMPARE,
  TOKEN_AND,
  TOKEN_OR,
  TOKEN_NOT,
  TOKEN_LITERAL,
  TOKEN_NAME,
} TokenKind;

typedef struct
{
  TokenKind kind;
  CompareOp op;
  JsonNode *literal;
  char *name;
  guint offset;
  guint end;
} Token;

typedef struct
{
  const char *text;
  guint pos;
  Token token; /* the current (look-ahead) token */
  GError *error;
  guint error_offset;
  guint nodes; /* built so far, bounded by MAX_NODES */
} Parser;

static void parser_fail (Parser *parser, guint offset, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
parser_fail (Parser *parser, guint offset, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (parser->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  parser->error_offset = offset;
  parser->error = g_error_new (CMDB_EXPRESSION_ERROR, CMDB_EXPRESSION_ERROR_SYNTAX,
                               "%s at offset %u", message, offset);
}

static void
token_clear (Token *token)
{
  g_clear_pointer (&token->literal, json_node_unref);
  g_clear_pointer (&token->name, g_free);
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static void
lex_number (Parser *parser, Token *token)
{
  const char *start = parser->text + parser->pos;
  const char *p = start;
  gboolean is_float = FALSE;
  g_autofree char *copy = NULL;

  if (*p == '-' || *p == '+')
    p++;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      is_float = TRUE;
      p++;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      const char *exponent = p + 1;

      if (*exponent == '+' || *exponent == '-')
        exponent++;
      if (!g_ascii_isdigit (*exponent))
        {
          parser_fail (parser, parser->pos, "malformed number");
          return;
        }
      is_float = TRUE;
      p = exponent;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (is_name_char (*p))
    {
      parser_fail (parser, parser->pos, "malformed number");
      return;
    }
  copy = g_strndup (start, p - start);
  token->kind = TOKEN_LITERAL;
  token->literal = json_node_new (JSON_NODE_VALUE);
  if (is_float)
    json_node_set_double (token->literal, g_ascii_strtod (copy, NULL));
  else
    json_node_set_int (token->literal, g_ascii_strtoll (copy, NULL, 10));
  parser->pos += p - start;
}

static void
lex_string (Parser *parser, Token *token)
{
  char quote = parser->text[parser->pos];
  guint start = parser->pos;
  GString *value = g_string_new (NULL);
  const char *p = parser->text + parser->pos + 1;

  for (; *p != '\0' && *p != quote; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          switch (*p)
            {
              case 'n':
                g_string_append_c (value, '\n');
                break;
              case 't':
                g_string_append_c (value, '\t');
                break;
              default:
                g_string_append_c (value, *p);
                break;
            }
          continue;
        }
      g_string_append_c (value, *p);
    }
  if (*p != quote)
    {
      g_string_free (value, TRUE);
      parser_fail (parser, start, "unterminated string");
      return;
    }
  token->kind = TOKEN_LITERAL;
  token->literal = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (token->literal, value->str);
  g_string_free (value, TRUE);
  parser->pos = (p + 1) - parser->text;
}

/* Reads the next token into parser->token. */
static void
lex (Parser *parser)
{
  Token *token = &parser->token;
  const char *text = parser->text;
  char c;

  token_clear (token);
  memset (token, 0, sizeof *token);
  while (text[parser->pos] == ' ' || text[parser->pos] == '\t' || text[parser->pos] == '\n'
         || text[parser->pos] == '\r')
    parser->pos++;
  token->offset = parser->pos;
  c = text[parser->pos];

  if (c == '\0')
    token->kind = TOKEN_END;
  else if (c == '(' || c == ')')
    {
      token->kind = c == '(' ? TOKEN_LPAREN : TOKEN_RPAREN;
      parser->pos++;
    }
  else if (c == '=' || c == '!' || c == '<' || c == '>')
    {
      char next = text[parser->pos + 1];

      token->kind = TOKEN_COMPARE;
      if (c == '=' && next == '=')
        token->op = OP_EQ;
      else if (c == '!' && next == '=')
        token->op = OP_NE;
      else if (c == '<')
        token->op = next == '=' ? OP_LE : OP_LT;
      else if (c == '>')
        token->op = next == '=' ? OP_GE : OP_GT;
      else
        {
          parser_fail (parser, parser->pos,
                       c == '=' ? "'=' is not an operator (use '==')" : "unexpected character '%c'",
                       c);
          token->kind = TOKEN_END;
          return;
        }
      parser->pos += next == '=' ? 2 : 1;
    }
  else if (g_ascii_isdigit (c)
           || ((c == '-' || c == '+' || c == '.')
               && (g_ascii_isdigit (text[parser->pos + 1]) || text[parser->pos + 1] == '.')))
    lex_number (parser, token);
  else if (c == '"' || c == '\'')
    lex_string (parser, token);
  else if (is_name_start (c))
    {
      guint start = parser->pos;
      g_autofree char *word = NULL;

      while (is_name_char (text[parser->pos]))
        parser->pos++;
      word = g_strndup (text + start, parser->pos - start);
      if (g_str_equal (word, "and"))
        token->kind = TOKEN_AND;
      else if (g_str_equal (word, "or"))
        token->kind = TOKEN_OR;
      else if (g_str_equal (word, "not"))
        token->kind = TOKEN_NOT;
      else if (g_str_equal (word, "true") || g_str_equal (word, "false"))
        {
          token->kind = TOKEN_LITERAL;
          token->literal = json_node_new (JSON_NODE_VALUE);
          json_node_set_boolean (token->literal, word[0] == 't');
        }
      else if (g_str_equal (word, "null"))
        {
          token->kind = TOKEN_LITERAL;
          token->literal = json_node_new (JSON_NODE_NULL);
        }
      else
        {
          token->kind = TOKEN_NAME;
          token->name = g_steal_pointer (&word);
        }
    }
  else
    {
      parser_fail (parser, parser->pos, "unexpected character '%c'", c);
      token->kind = TOKEN_END;
    }
  token->end = parser->pos;
  if (parser->error != NULL)
    token->kind = TOKEN_END;
}

static const char *
token_describe (const Token *token)
{
  switch (token->kind)
    {
      case TOKEN_END:
        return "end of expression";
      case TOKEN_LPAREN:
        return "'('";
      case TOKEN_RPAREN:
        return "')'";
      case TOKEN_COMPARE:
        return "comparison operator";
      case TOKEN_AND:
        return "'and'";
      case TOKEN_OR:
        return "'or'";
      case TOKEN_NOT:
        return "'not'";
      case TOKEN_LITERAL:
        return "literal";
      case TOKEN_NAME:
        return "name";
      default:
        return "token";
    }
}

/* ---- parser (recursive descent; depth bounded to keep the stack safe) ---- */

#define MAX_DEPTH 64
/* Terms and operators in one expression. "a and b and c ..." nests one
 * level per term on the left, which the depth limit does not see; the
 * evaluator, the name walk and freeing recurse along it. */
#define MAX_NODES 512

static ExprNode *parse_or (Parser *parser, guint depth);

/* NULL (and the parser failed) past MAX_NODES. */
static ExprNode *
new_node (Parser *parser, NodeKind kind, guint offset)
{
  ExprNode *node;

  if (++parser->nodes > MAX_NODES)
    {
      if (parser->error == NULL)
        parser_fail (parser, offset, "expression has more than %u terms and operators", MAX_NODES);
      return NULL;
    }
  node = g_new0 (ExprNode, 1);

  node->kind = kind;
  node->offset = offset;
  return node;
}

static ExprNode *
parse_operand (Parser *parser, guint depth)
{
  Token *token = &parser->token;
  ExprNode *node;

  if (parser->error != NULL)
    return NULL;
  switch (token->kind)
    {
      case TOKEN_LITERAL:
        node = new_node (parser, NODE_LITERAL, token->offset);
        if (node == NULL)
          return NULL;
        node->literal = g_steal_pointer (&token->literal);
        lex (parser);
        return node;
      case TOKEN_NAME:
        node = new_node (parser, NODE_NAME, token->offset);
        if (node == NULL)
          return NULL;
        node->name = g_steal_pointer (&token->name);
        lex (parser);
        return node;
      case TOKEN_LPAREN:
        {
          guint open = token->offset;

          lex (parser);
          node = parse_or (parser, depth + 1);
          if (node == NULL)
            return NULL;
          if (token->kind != TOKEN_RPAREN)
            {
              if (parser->error == NULL)
                parser_fail (parser, token->offset, "expected ')' to close '(' at offset %u", open);
              expr_node_free (node);
              return NULL;
            }
          lex (parser);
          return node;
        }
      default:
        parser_fail (parser, token->offset, "expected a value, found %s", token_describe (token));
        return NULL;
    }
}

static ExprNode *
parse_comparison (Parser *parser, guint depth)
{
  ExprNode *left = parse_operand (parser, depth);
  ExprNode *node;

  if (left == NULL)
    return NULL;
  if (parser->token.kind != TOKEN_COMPARE)
    return left;
  node = new_node (parser, NODE_COMPARE, parser->token.offset);
  if (node == NULL)
    {
      expr_node_free (left);
      return NULL;
    }
  node->op = parser->token.op;
  node->left = left;
  lex (parser);
  node->right = parse_operand (parser, depth);
  if (node->right == NULL)
    {
      expr_node_free (node);
      return NULL;
    }
  if (parser->token.kind == TOKEN_COMPARE)
    {
      parser_fail (parser, parser->token.offset,
                   "comparisons cannot be chained; combine them with 'and'");
      expr_node_free (node);
      return NULL;
    }
  return node;
}

static ExprNode *
parse_not (Parser *parser, guint depth)
{
  if (depth > MAX_DEPTH)
    {
      parser_fail (parser, parser->token.offset, "expression nested too deeply");
      return NULL;
    }
  if (parser->token.kind == TOKEN_NOT)
    {
      ExprNode *node = new_node (parser, NODE_NOT, parser->token.offset);

      if (node == NULL)
        return NULL;
      lex (parser);
      node->left = parse_not (parser, depth + 1);
      if (node->left == NULL)
        {
          expr_node_free (node);
          return NULL;
        }
      return node;
    }
  return parse_comparison (parser, depth);
}

static ExprNode *
parse_and (Parser *parser, guint depth)
{
  ExprNode *left = parse_not (parser, depth);

  while (left != NULL && parser->token.kind == TOKEN_AND)
    {
      ExprNode *node = new_node (parser, NODE_AND, parser->token.offset);

      if (node == NULL)
        {
          expr_node_free (left);
          return NULL;
        }
      lex (parser);
      node->left = left;
      node->right = parse_not (parser, depth);
      if (node->right == NULL)
        {
          expr_node_free (node);
          return NULL;
        }
      left = node;
    }
  return left;
}

static ExprNode *
parse_or (Parser *parser, guint depth)
{
  ExprNode *left;

  if (depth > MAX_DEPTH)
    {
      parser_fail (parser, parser->token.offset, "expression nested too deeply");
      return NULL;
    }
  left = parse_and (parser, depth);
  while (left != NULL && parser->token.kind == TOKEN_OR)
    {
      ExprNode *node = new_node (parser, NODE_OR, parser->token.offset);

      if (node == NULL)
        {
          expr_node_free (left);
          return NULL;
        }
      lex (parser);
      node->left = left;
      node->right = parse_and (parser, depth);
      if (node->right == NULL)
        {
          expr_node_free (node);
          return NULL;
        }
      left = node;
    }
  return left;
}

CmdbExpression *
cmdb_expression_parse (const char *text, guint *ret_offset, GError **error)
{
  Parser parser = { 0 };
  ExprNode *root;
  CmdbExpression *expression;

  g_return_val_if_fail (text != NULL, NULL);

  parser.text = text;
  lex (&parser);
  if (parser.token.kind == TOKEN_END && parser.error == NULL)
    parser_fail (&parser, 0, "empty expression");
  root = parser.error == NULL ? parse_or (&parser, 0) : NULL;
  if (root != NULL && parser.token.kind != TOKEN_END)
    parser_fail (&parser, parser.token.offset, "unexpected %s after the expression",
                 token_describe (&parser.token));
  token_clear (&parser.token);
  if (parser.error != NULL)
    {
      expr_node_free (root);
      if (ret_offset != NULL)
        *ret_offset = parser.error_offset;
      g_propagate_error (error, parser.error);
      return NULL;
    }
  expression = g_new0 (CmdbExpression, 1);
  expression->root = root;
  return expression;
}

void
cmdb_expression_free (CmdbExpression *expression)
{
  if (expression == NULL)
    return;
  expr_node_free (expression->root);
  g_free (expression);
}

static void
foreach_name (ExprNode *node, CmdbExpressionNameFunc func, gpointer user_data)
{
  if (node == NULL)
    return;
  if (node->kind == NODE_NAME)
    func (node->name, node->offset, user_data);
  foreach_name (node->left, func, user_data);
  foreach_name (node->right, func, user_data);
}

void
cmdb_expression_foreach_name (CmdbExpression *expression, CmdbExpressionNameFunc func,
                              gpointer user_data)
{
  g_return_if_fail (expression != NULL);
  foreach_name (expression->root, func, user_data);
}

/* ---- evaluation ---- */

typedef enum
{
  VALUE_NULL,
  VALUE_BOOL,
  VALUE_NUMBER,
  VALUE_STRING,
  VALUE_OTHER, /* lists and maps */
} ValueKind;

static ValueKind
value_kind (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return VALUE_NULL;
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_BOOLEAN)
        return VALUE_BOOL;
      if (type == G_TYPE_STRING)
        return VALUE_STRING;
      return VALUE_NUMBER;
    }
  return VALUE_OTHER;
}

static double
value_number (JsonNode *node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return json_node_get_double (node);
}

static gboolean
value_truth (JsonNode *node)
{
  switch (value_kind (node))
    {
      case VALUE_NULL:
        return FALSE;
      case VALUE_BOOL:
        return json_node_get_boolean (node);
      case VALUE_NUMBER:
        return value_number (node) != 0.0;
      case VALUE_STRING:
        return json_node_get_string (node)[0] != '\0';
      case VALUE_OTHER:
      default:
        if (JSON_NODE_HOLDS_ARRAY (node))
          return json_array_get_length (json_node_get_array (node)) > 0;
        return json_object_get_size (json_node_get_object (node)) > 0;
    }
}

static gboolean
values_equal (JsonNode *a, JsonNode *b)
{
  ValueKind kind_a = value_kind (a);
  ValueKind kind_b = value_kind (b);

  if (kind_a != kind_b)
    return FALSE;
  switch (kind_a)
    {
      case VALUE_NULL:
        return TRUE;
      case VALUE_BOOL:
        return json_node_get_boolean (a) == json_node_get_boolean (b);
      case VALUE_NUMBER:
        return value_number (a) == value_number (b);
      case VALUE_STRING:
        return g_str_equal (json_node_get_string (a), json_node_get_string (b));
      case VALUE_OTHER:
      default:
        return json_node_equal (a, b);
    }
}

/* Returns <0, 0, >0, or FALSE in @ret_comparable when the values cannot be
 * ordered. */
static int
values_order (JsonNode *a, JsonNode *b, gboolean *ret_comparable)
{
  ValueKind kind_a = value_kind (a);
  ValueKind kind_b = value_kind (b);

  *ret_comparable = TRUE;
  if (kind_a == VALUE_NUMBER && kind_b == VALUE_NUMBER)
    {
      double x = value_number (a), y = value_number (b);

      return x < y ? -1 : x > y ? 1 : 0;
    }
  if (kind_a == VALUE_STRING && kind_b == VALUE_STRING)
    return strcmp (json_node_get_string (a), json_node_get_string (b));
  *ret_comparable = FALSE;
  return 0;
}

typedef struct
{
  CmdbExpressionLookup lookup;
  gpointer user_data;
} EvalContext;

static JsonNode *
operand_value (ExprNode *node, EvalContext *context)
{
  if (node->kind == NODE_LITERAL)
    return node->literal;
  if (node->kind == NODE_NAME)
    return context->lookup != NULL ? context->lookup (node->name, context->user_data) : NULL;
  return NULL;
}

static gboolean evaluate_node (ExprNode *node, EvalContext *context);

static gboolean
evaluate_compare (ExprNode *node, EvalContext *context)
{
  g_autoptr (JsonNode) left_owned = NULL;
  g_autoptr (JsonNode) right_owned = NULL;
  JsonNode *left, *right;
  gboolean comparable;
  int order;

  /* A parenthesised sub-expression used as an operand stands for its truth. */
  if (node->left->kind == NODE_LITERAL || node->left->kind == NODE_NAME)
    left = operand_value (node->left, context);
  else
    left = left_owned
        = json_node_init_boolean (json_node_alloc (), evaluate_node (node->left, context));
  if (node->right->kind == NODE_LITERAL || node->right->kind == NODE_NAME)
    right = operand_value (node->right, context);
  else
    right = right_owned
        = json_node_init_boolean (json_node_alloc (), evaluate_node (node->right, context));

  switch (node->op)
    {
      case OP_EQ:
        return values_equal (left, right);
      case OP_NE:
        return !values_equal (left, right);
      case OP_LT:
      case OP_LE:
      case OP_GT:
      case OP_GE:
      default:
        order = values_order (left, right, &comparable);
        if (!comparable)
          return FALSE;
        if (node->op == OP_LT)
          return order < 0;
        if (node->op == OP_LE)
          return order <= 0;
        if (node->op == OP_GT)
          return order > 0;
        return order >= 0;
    }
}

static gboolean
evaluate_node (ExprNode *node, EvalContext *context)
{
  switch (node->kind)
    {
      case NODE_LITERAL:
      case NODE_NAME:
        return value_truth (operand_value (node, context));
      case NODE_NOT:
        return !evaluate_node (node->left, context);
      case NODE_AND:
        return evaluate_node (node->left, context) && evaluate_node (node->right, context);
      case NODE_OR:
        return evaluate_node (node->left, context) || evaluate_node (node->right, context);
      case NODE_COMPARE:
      default:
        return evaluate_compare (node, context);
    }
}

gboolean
cmdb_expression_evaluate (CmdbExpression *expression, CmdbExpressionLookup lookup,
                          gpointer user_data)
{
  EvalContext context = { lookup, user_data };

  g_return_val_if_fail (expression != NULL, FALSE);
  return evaluate_node (expression->root, &context);
}
