#define G_LOG_DOMAIN "cmdb-hydra"

/* The override reader: a hand-written lexer and recursive-descent parser
 * that follow Hydra 1.3's OverrideLexer.g4 / OverrideParser.g4 and the way
 * its visitor turns parse trees into values.
 *
 * The lexer mimics ANTLR: in each mode every rule is tried at the current
 * position, the longest match wins and ties go to the rule listed first in
 * the grammar (so `true` is a BOOL, not an ID, and ` ,` is one COMMA). The
 * key mode switches to the value mode at the first `=`.
 *
 * tests/hydra/test-hydra-vectors.c checks every verdict of Hydra 1.3.2 in
 * tests/hydra/data/hydra-vectors.jsonl against this file. */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cmdbuilder.h"
#include "cmdb-hydra-private.h"

// clang-format off
/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-hydra-error-quark, cmdb_hydra_error)
/* clang-format on */
// clang-format on

/* Limits so that a hostile token cannot make the reader allocate without
 * bound (range(0,1000000000) is legal Hydra). */
#define MAX_RANGE_VALUES 100000
#define MAX_NESTING 200

typedef enum
{
  TOKEN_EOF,
  /* key mode */
  TOKEN_EQUAL,
  TOKEN_TILDE,
  TOKEN_PLUS,
  TOKEN_AT,
  TOKEN_COLON,
  TOKEN_SLASH,
  TOKEN_ID,
  TOKEN_KEY_SPECIAL,
  TOKEN_DOT_PATH,
  /* value mode (TOKEN_COLON, TOKEN_EQUAL and TOKEN_ID are shared) */
  TOKEN_POPEN,
  TOKEN_COMMA,
  TOKEN_PCLOSE,
  TOKEN_BRACKET_OPEN,
  TOKEN_BRACKET_CLOSE,
  TOKEN_BRACE_OPEN,
  TOKEN_BRACE_CLOSE,
  TOKEN_FLOAT,
  TOKEN_INT,
  TOKEN_BOOL,
  TOKEN_NULL,
  TOKEN_UNQUOTED_CHAR,
  TOKEN_ESC,
  TOKEN_WS,
  TOKEN_QUOTED,
  TOKEN_INTERPOLATION,
} TokenType;

typedef struct
{
  TokenType type;
  gsize start;
  gsize length;
} Token;

/* ------------------------------------------------------------------------ */
/* Lexer: each matcher returns the length of the longest match at @s, or 0. */
/* ------------------------------------------------------------------------ */

static gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static gsize
match_ws (const char *s)
{
  gsize i = 0;

  while (s[i] == ' ' || s[i] == '\t')
    i++;
  return i;
}

/* DIGIT (('_')? DIGIT)* */
static gsize
match_digits (const char *s)
{
  gsize i;

  if (!is_digit (s[0]))
    return 0;
  i = 1;
  for (;;)
    {
      if (is_digit (s[i]))
        i++;
      else if (s[i] == '_' && is_digit (s[i + 1]))
        i += 2;
      else
        break;
    }
  return i;
}

/* INT_UNSIGNED: '0' | [1-9] (('_')? DIGIT)* */
static gsize
match_int_unsigned (const char *s)
{
  if (s[0] == '0')
    return 1;
  if (s[0] >= '1' && s[0] <= '9')
    return match_digits (s);
  return 0;
}

static gsize
match_keyword (const char *s, const char *keyword)
{
  gsize n = strlen (keyword);

  return g_ascii_strncasecmp (s, keyword, n) == 0 ? n : 0;
}

/* POINT_FLOAT | EXPONENT_FLOAT | inf | nan, without the sign. Only the
 * longest integer part and the longest point float can be followed by an
 * exponent (a shorter one is followed by a digit or `_`), so three
 * mantissas are enough to find the longest exponent float. */
static gsize
match_float_body (const char *s)
{
  gsize int_part = match_int_unsigned (s);
  gsize point_a = 0; /* INT_UNSIGNED '.' */
  gsize point_b = 0; /* INT_UNSIGNED? '.' DIGIT (('_')? DIGIT)* */
  gsize best;
  gsize mantissas[3];

  if (int_part > 0 && s[int_part] == '.')
    {
      gsize digits = match_digits (s + int_part + 1);

      point_a = int_part + 1;
      if (digits > 0)
        point_b = int_part + 1 + digits;
    }
  else if (int_part == 0 && s[0] == '.')
    {
      gsize digits = match_digits (s + 1);

      if (digits > 0)
        point_b = 1 + digits;
    }
  best = MAX (point_a, point_b);

  mantissas[0] = int_part;
  mantissas[1] = point_a;
  mantissas[2] = point_b;
  for (guint i = 0; i < G_N_ELEMENTS (mantissas); i++)
    {
      gsize m = mantissas[i];
      gsize j;
      gsize digits;

      if (m == 0 || (s[m] != 'e' && s[m] != 'E'))
        continue;
      j = m + 1;
      if (s[j] == '+' || s[j] == '-')
        j++;
      digits = match_digits (s + j);
      if (digits > 0)
        best = MAX (best, j + digits);
    }

  best = MAX (best, match_keyword (s, "inf"));
  best = MAX (best, match_keyword (s, "nan"));
  return best;
}

static gsize
match_float (const char *s)
{
  gsize sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  gsize body = match_float_body (s + sign);

  return body > 0 ? sign + body : 0;
}

static gsize
match_int (const char *s)
{
  gsize sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  gsize body = match_int_unsigned (s + sign);

  return body > 0 ? sign + body : 0;
}

static gsize
match_bool (const char *s)
{
  return MAX (match_keyword (s, "true"), match_keyword (s, "false"));
}

/* ID: (CHAR|'_') (CHAR|DIGIT|'_'|'-')* */
static gsize
match_id (const char *s)
{
  gsize i;

  if (!g_ascii_isalpha (s[0]) && s[0] != '_')
    return 0;
  i = 1;
  while (g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '-')
    i++;
  return i;
}

/* KEY_SPECIAL: (CHAR|'_'|'$') (CHAR|DIGIT|'_'|'-'|'$')* */
static gsize
match_key_special (const char *s)
{
  gsize i;

  if (!g_ascii_isalpha (s[0]) && s[0] != '_' && s[0] != '$')
    return 0;
  i = 1;
  while (g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '$')
    i++;
  return i;
}

/* DOT_PATH: (KEY_SPECIAL | INT_UNSIGNED) ('.' (KEY_SPECIAL | INT_UNSIGNED))+ */
static gsize
match_dot_path (const char *s)
{
  gsize end = MAX (match_key_special (s), match_int_unsigned (s));
  guint segments = 1;

  if (end == 0)
    return 0;
  while (s[end] == '.')
    {
      gsize next = MAX (match_key_special (s + end + 1), match_int_unsigned (s + end + 1));

      if (next == 0)
        break;
      end += 1 + next;
      segments++;
    }
  return segments >= 2 ? end : 0;
}

static gsize
match_unquoted_char (const char *s)
{
  return (s[0] != '\0' && strchr ("/-\\+.$%*@?|", s[0]) != NULL) ? 1 : 0;
}

/* ESC: a run of `\\`, `\(`, `\)`, `\[`, `\]`, `\{`, `\}`, `\:`, `\=`, `\,`,
 * backslash-space and backslash-tab. */
static gsize
match_esc (const char *s)
{
  gsize i = 0;

  while (s[i] == '\\' && s[i + 1] != '\0' && strchr ("\\()[]{}:=, \t", s[i + 1]) != NULL)
    i += 2;
  return i;
}

/* QUOTED_VALUE: the closing quote is the first matching quote preceded by an
 * even run of backslashes (ANTLR's non-greedy `(.)*?` stops there). */
static gsize
match_quoted (const char *s)
{
  char quote = s[0];
  gsize run = 0;

  if (quote != '\'' && quote != '"')
    return 0;
  for (gsize i = 1; s[i] != '\0'; i++)
    {
      if (s[i] == '\\')
        {
          run++;
          continue;
        }
      if (s[i] == quote && run % 2 == 0)
        return i + 1;
      run = 0;
    }
  return 0;
}

/* INTERPOLATION: '${' ~('}')+ '}' */
static gsize
match_interpolation (const char *s)
{
  const char *close;

  if (s[0] != '$' || s[1] != '{' || s[2] == '\0' || s[2] == '}')
    return 0;
  close = strchr (s + 2, '}');
  return close != NULL ? (gsize) (close - s) + 1 : 0;
}

/* WS? <c> WS? (with optional leading and trailing blanks as asked). */
static gsize
match_punctuation (const char *s, char c, gboolean leading_ws, gboolean trailing_ws)
{
  gsize i = leading_ws ? match_ws (s) : 0;

  if (s[i] != c)
    return 0;
  i++;
  if (trailing_ws)
    i += match_ws (s + i);
  return i;
}

typedef gsize (*MatchFunc) (const char *s);

/* Value-mode rules in grammar order (ties go to the earlier one). */
static void
lex_value_rule (const char *s, TokenType *ret_type, gsize *ret_length)
{
  struct
  {
    TokenType type;
    gsize length;
  } rules[] = {
    { TOKEN_POPEN, match_punctuation (s, '(', TRUE, TRUE) },
    { TOKEN_COMMA, match_punctuation (s, ',', TRUE, TRUE) },
    { TOKEN_PCLOSE, match_punctuation (s, ')', TRUE, FALSE) },
    { TOKEN_BRACKET_OPEN, match_punctuation (s, '[', FALSE, TRUE) },
    { TOKEN_BRACKET_CLOSE, match_punctuation (s, ']', TRUE, FALSE) },
    { TOKEN_BRACE_OPEN, match_punctuation (s, '{', FALSE, TRUE) },
    { TOKEN_BRACE_CLOSE, match_punctuation (s, '}', TRUE, FALSE) },
    { TOKEN_COLON, match_punctuation (s, ':', TRUE, TRUE) },
    { TOKEN_EQUAL, match_punctuation (s, '=', TRUE, TRUE) },
    { TOKEN_FLOAT, match_float (s) },
    { TOKEN_INT, match_int (s) },
    { TOKEN_BOOL, match_bool (s) },
    { TOKEN_NULL, match_keyword (s, "null") },
    { TOKEN_UNQUOTED_CHAR, match_unquoted_char (s) },
    { TOKEN_ID, match_id (s) },
    { TOKEN_ESC, match_esc (s) },
    { TOKEN_WS, match_ws (s) },
    { TOKEN_QUOTED, match_quoted (s) },
    { TOKEN_INTERPOLATION, match_interpolation (s) },
  };

  *ret_type = TOKEN_EOF;
  *ret_length = 0;
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].length > *ret_length)
      {
        *ret_type = rules[i].type;
        *ret_length = rules[i].length;
      }
}

static void
lex_key_rule (const char *s, TokenType *ret_type, gsize *ret_length)
{
  struct
  {
    TokenType type;
    gsize length;
  } rules[] = {
    { TOKEN_EQUAL, match_punctuation (s, '=', FALSE, TRUE) },
    { TOKEN_TILDE, s[0] == '~' },
    { TOKEN_PLUS, s[0] == '+' },
    { TOKEN_AT, s[0] == '@' },
    { TOKEN_COLON, s[0] == ':' },
    { TOKEN_SLASH, s[0] == '/' },
    { TOKEN_ID, match_id (s) },
    { TOKEN_KEY_SPECIAL, match_key_special (s) },
    { TOKEN_DOT_PATH, match_dot_path (s) },
  };

  *ret_type = TOKEN_EOF;
  *ret_length = 0;
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].length > *ret_length)
      {
        *ret_type = rules[i].type;
        *ret_length = rules[i].length;
      }
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct
{
  CmdbHydraValueType type;
  CmdbHydraSweepKind sweep;
  JsonNode *node;
  gboolean quoted;
} Value;

static void
value_clear (Value *value)
{
  g_clear_pointer (&value->node, json_node_unref);
}

static void
value_set (Value *value, CmdbHydraValueType type, JsonNode *node)
{
  value->type = type;
  value->sweep = CMDB_HYDRA_SWEEP_NONE;
  value->node = node;
  value->quoted = FALSE;
}

static CmdbHydraValueType
type_of_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
      case JSON_NODE_NULL:
        return CMDB_HYDRA_VALUE_NULL;
      case JSON_NODE_ARRAY:
        return CMDB_HYDRA_VALUE_LIST;
      case JSON_NODE_OBJECT:
        return CMDB_HYDRA_VALUE_DICT;
      case JSON_NODE_VALUE:
      default:
        break;
    }
  switch (json_node_get_value_type (node))
    {
      case G_TYPE_INT64:
      case G_TYPE_INT:
        return CMDB_HYDRA_VALUE_INT;
      case G_TYPE_DOUBLE:
      case G_TYPE_FLOAT:
        return CMDB_HYDRA_VALUE_FLOAT;
      case G_TYPE_BOOLEAN:
        return CMDB_HYDRA_VALUE_BOOL;
      default:
        return CMDB_HYDRA_VALUE_STRING;
    }
}

static JsonNode *
node_new_string (const char *text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return node;
}

static JsonNode *
node_new_int (gint64 number)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_int (node, number);
  return node;
}

static JsonNode *
node_new_double (double number)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_double (node, number);
  return node;
}

static JsonNode *
node_new_boolean (gboolean truth)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_boolean (node, truth);
  return node;
}

/* Python's int() of a decimal text: optional blanks and sign, digits with
 * single underscores between them. */
static gboolean
parse_python_int (const char *text, gint64 *ret_number)
{
  g_autofree char *digits = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  GString *clean = g_string_new (NULL);
  const char *p = trimmed;
  char *end = NULL;
  gint64 number;

  if (*p == '+' || *p == '-')
    g_string_append_c (clean, *p++);
  if (!is_digit (*p))
    {
      g_string_free (clean, TRUE);
      return FALSE;
    }
  while (*p != '\0')
    {
      if (is_digit (*p))
        g_string_append_c (clean, *p);
      else if (!(*p == '_' && is_digit (p[1]) && p > trimmed && is_digit (p[-1])))
        {
          g_string_free (clean, TRUE);
          return FALSE;
        }
      p++;
    }
  digits = g_string_free (clean, FALSE);
  errno = 0;
  number = g_ascii_strtoll (digits, &end, 10);
  if (errno != 0 || end == digits || *end != '\0')
    return FALSE;
  *ret_number = number;
  return TRUE;
}

/* Python's float() of a text: blanks, sign, decimal or exponent forms with
 * underscores between digits, inf/infinity/nan in any case. */
static gboolean
parse_python_float (const char *text, double *ret_number)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  g_autoptr (GString) clean = g_string_new (NULL);
  const char *body = trimmed;
  char *end = NULL;
  double number;

  if (*body == '+' || *body == '-')
    body++;
  if (g_ascii_strcasecmp (body, "inf") == 0 || g_ascii_strcasecmp (body, "infinity") == 0)
    {
      *ret_number = trimmed[0] == '-' ? -INFINITY : INFINITY;
      return TRUE;
    }
  if (g_ascii_strcasecmp (body, "nan") == 0)
    {
      *ret_number = NAN;
      return TRUE;
    }
  for (const char *p = trimmed; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (p == trimmed || !is_digit (p[-1]) || !is_digit (p[1]))
            return FALSE;
          continue;
        }
      if (!is_digit (*p) && strchr ("+-.eE", *p) == NULL)
        return FALSE; /* no hex floats, no "nan(...)" */
      g_string_append_c (clean, *p);
    }
  if (clean->len == 0)
    return FALSE;
  number = g_ascii_strtod (clean->str, &end);
  if (end == clean->str || *end != '\0')
    return FALSE;
  *ret_number = number;
  return TRUE;
}

/* Hydra keeps only the backslashes that precede a quote as escapes: a run
 * of n backslashes before an (escaped) inner quote or before the closing
 * quote stands for n/2 backslashes; every other backslash is literal. */
static char *
unescape_quoted (const char *text, gsize length)
{
  char quote = text[0];
  GString *out = g_string_sized_new (length);
  gsize run = 0;

  for (gsize i = 1; i + 1 < length; i++)
    {
      if (text[i] == '\\')
        {
          run++;
          continue;
        }
      if (text[i] == quote)
        {
          for (gsize k = 0; k < run / 2; k++)
            g_string_append_c (out, '\\');
        }
      else
        {
          for (gsize k = 0; k < run; k++)
            g_string_append_c (out, '\\');
        }
      g_string_append_c (out, text[i]);
      run = 0;
    }
  for (gsize k = 0; k < run / 2; k++)
    g_string_append_c (out, '\\');
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *text;
  Token *tokens;
  guint n_tokens;
  guint pos;
  guint depth;
  char *error;    /* the first problem, without the "cannot read" prefix */
  gsize error_at; /* byte offset of the problem */
} Parser;

static guint
column_of (const char *text, gsize offset)
{
  return (guint) g_utf8_pointer_to_offset (text, text + offset) + 1;
}

static void G_GNUC_PRINTF (3, 4) parser_fail (Parser *parser, gsize offset, const char *format, ...)
{
  va_list args;

  if (parser->error != NULL)
    return;
  va_start (args, format);
  parser->error = g_strdup_vprintf (format, args);
  va_end (args);
  parser->error_at = offset;
}

static const Token *
peek (Parser *parser, guint ahead)
{
  guint index = MIN (parser->pos + ahead, parser->n_tokens - 1);

  return &parser->tokens[index];
}

static char *
token_text (Parser *parser, const Token *token)
{
  return g_strndup (parser->text + token->start, token->length);
}

/* Writes control characters of @text as escapes so an error message stays
 * on one line; everything else (non-ASCII included) is kept. */
static char *
escape_controls (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\t')
        g_string_append (out, "\\t");
      else if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Names a token for an error message. */
static char *
describe_token (Parser *parser, const Token *token)
{
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;

  if (token->type == TOKEN_EOF)
    return g_strdup ("end of the override");
  text = token_text (parser, token);
  escaped = escape_controls (text);
  return g_strdup_printf ("'%s'", escaped);
}

static void
fail_unexpected (Parser *parser, const char *expected)
{
  const Token *token = peek (parser, 0);
  g_autofree char *what = describe_token (parser, token);

  if (expected != NULL)
    parser_fail (parser, token->start, "unexpected %s at column %u, expected %s", what,
                 column_of (parser->text, token->start), expected);
  else
    parser_fail (parser, token->start, "unexpected %s at column %u", what,
                 column_of (parser->text, token->start));
}

static gboolean
accept (Parser *parser, TokenType type)
{
  if (peek (parser, 0)->type != type)
    return FALSE;
  parser->pos++;
  return TRUE;
}

static gboolean
expect (Parser *parser, TokenType type, const char *expected)
{
  if (accept (parser, type))
    return TRUE;
  fail_unexpected (parser, expected);
  return FALSE;
}

static gboolean parse_element (Parser *parser, Value *ret_value);

static gboolean
is_primitive_token (TokenType type, gboolean dict_key)
{
  switch (type)
    {
      case TOKEN_ID:
      case TOKEN_NULL:
      case TOKEN_INT:
      case TOKEN_FLOAT:
      case TOKEN_BOOL:
      case TOKEN_UNQUOTED_CHAR:
      case TOKEN_ESC:
      case TOKEN_WS:
        return TRUE;
      case TOKEN_INTERPOLATION:
      case TOKEN_COLON:
        return !dict_key;
      default:
        return FALSE;
    }
}

/* An escape token stands for every second character of its text. */
static void
append_unescaped (GString *out, const char *text, gsize length)
{
  for (gsize i = 1; i < length; i += 2)
    g_string_append_c (out, text[i]);
}

/* Hydra's visitor for a run of primitive tokens: blanks at both ends are
 * dropped; several tokens make a string (escapes resolved); one token keeps
 * its type (int, float, bool, null or string). */
static gboolean
parse_primitive (Parser *parser, gboolean dict_key, Value *ret_value)
{
  guint first = parser->pos;
  guint last;
  gsize start_offset = peek (parser, 0)->start;
  const Token *token;
  g_autofree char *text = NULL;

  while (is_primitive_token (peek (parser, 0)->type, dict_key))
    parser->pos++;
  last = parser->pos;
  if (last == first)
    {
      fail_unexpected (parser, "a value");
      return FALSE;
    }
  if (parser->tokens[first].type == TOKEN_WS)
    {
      if (last - first == 1)
        {
          parser_fail (parser, start_offset, "a value made only of blanks at column %u",
                       column_of (parser->text, start_offset));
          return FALSE;
        }
      first++;
    }
  if (parser->tokens[last - 1].type == TOKEN_WS)
    last--;

  if (last - first > 1)
    {
      GString *out = g_string_new (NULL);

      for (guint i = first; i < last; i++)
        {
          token = &parser->tokens[i];
          if (token->type == TOKEN_ESC)
            append_unescaped (out, parser->text + token->start, token->length);
          else
            g_string_append_len (out, parser->text + token->start, token->length);
        }
      value_set (ret_value, CMDB_HYDRA_VALUE_STRING, node_new_string (out->str));
      g_string_free (out, TRUE);
      return TRUE;
    }

  token = &parser->tokens[first];
  text = token_text (parser, token);
  switch (token->type)
    {
      case TOKEN_INT:
        {
          gint64 number = 0;

          if (!parse_python_int (text, &number))
            {
              parser_fail (parser, token->start,
                           "the integer %s at column %u does not fit in 64 bits", text,
                           column_of (parser->text, token->start));
              return FALSE;
            }
          value_set (ret_value, CMDB_HYDRA_VALUE_INT, node_new_int (number));
          return TRUE;
        }
      case TOKEN_FLOAT:
        {
          double number = 0;

          if (!parse_python_float (text, &number))
            {
              parser_fail (parser, token->start, "cannot read the number %s at column %u", text,
                           column_of (parser->text, token->start));
              return FALSE;
            }
          value_set (ret_value, CMDB_HYDRA_VALUE_FLOAT, node_new_double (number));
          return TRUE;
        }
      case TOKEN_BOOL:
        value_set (ret_value, CMDB_HYDRA_VALUE_BOOL,
                   node_new_boolean (g_ascii_strcasecmp (text, "true") == 0));
        return TRUE;
      case TOKEN_NULL:
        value_set (ret_value, CMDB_HYDRA_VALUE_NULL, json_node_new (JSON_NODE_NULL));
        return TRUE;
      case TOKEN_ESC:
        {
          GString *out = g_string_new (NULL);

          append_unescaped (out, text, token->length);
          value_set (ret_value, CMDB_HYDRA_VALUE_STRING, node_new_string (out->str));
          g_string_free (out, TRUE);
          return TRUE;
        }
      default:
        value_set (ret_value, CMDB_HYDRA_VALUE_STRING, node_new_string (text));
        return TRUE;
    }
}

static gboolean
check_depth (Parser *parser)
{
  if (parser->depth < MAX_NESTING)
    return TRUE;
  parser_fail (parser, peek (parser, 0)->start, "values nested more than %d levels deep",
               MAX_NESTING);
  return FALSE;
}

static gboolean
refuse_sweep (Parser *parser, const Value *value, gsize offset, const char *where)
{
  if (value->type != CMDB_HYDRA_VALUE_SWEEP)
    return TRUE;
  parser_fail (parser, offset, "a sweep cannot be used %s (column %u)", where,
               column_of (parser->text, offset));
  return FALSE;
}

static gboolean
parse_list (Parser *parser, Value *ret_value)
{
  g_autoptr (JsonArray) array = json_array_new ();
  JsonNode *node;

  if (!check_depth (parser))
    return FALSE;
  parser->depth++;
  parser->pos++; /* [ */
  if (peek (parser, 0)->type != TOKEN_BRACKET_CLOSE)
    {
      do
        {
          Value element = { 0 };
          gsize offset = peek (parser, 0)->start;

          if (!parse_element (parser, &element))
            return FALSE;
          if (!refuse_sweep (parser, &element, offset, "inside a list"))
            {
              value_clear (&element);
              return FALSE;
            }
          json_array_add_element (array, g_steal_pointer (&element.node));
        }
      while (accept (parser, TOKEN_COMMA));
    }
  if (!expect (parser, TOKEN_BRACKET_CLOSE, "',' or ']'"))
    return FALSE;
  parser->depth--;
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  value_set (ret_value, CMDB_HYDRA_VALUE_LIST, node);
  return TRUE;
}

/* A dict key may be typed (`{1: a}`); JSON member names are strings, so a
 * typed key is written as Python's str() would. */
static char *
dict_key_name (JsonNode *key)
{
  switch (type_of_node (key))
    {
      case CMDB_HYDRA_VALUE_INT:
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (key));
      case CMDB_HYDRA_VALUE_FLOAT:
        return cmdb_hydra_format_float (json_node_get_double (key));
      case CMDB_HYDRA_VALUE_BOOL:
        return g_strdup (json_node_get_boolean (key) ? "True" : "False");
      case CMDB_HYDRA_VALUE_NULL:
        return g_strdup ("None");
      default:
        return g_strdup (json_node_get_string (key));
    }
}

static gboolean
parse_dict (Parser *parser, Value *ret_value)
{
  g_autoptr (JsonObject) object = json_object_new ();
  JsonNode *node;

  if (!check_depth (parser))
    return FALSE;
  parser->depth++;
  parser->pos++; /* { */
  if (peek (parser, 0)->type != TOKEN_BRACE_CLOSE)
    {
      do
        {
          Value key = { 0 };
          Value element = { 0 };
          g_autofree char *name = NULL;
          gsize offset;

          if (!parse_primitive (parser, TRUE, &key))
            return FALSE;
          name = dict_key_name (key.node);
          value_clear (&key);
          if (!expect (parser, TOKEN_COLON, "':'"))
            return FALSE;
          offset = peek (parser, 0)->start;
          if (!parse_element (parser, &element))
            return FALSE;
          if (!refuse_sweep (parser, &element, offset, "inside a dict"))
            {
              value_clear (&element);
              return FALSE;
            }
          json_object_set_member (object, name, g_steal_pointer (&element.node));
        }
      while (accept (parser, TOKEN_COMMA));
    }
  if (!expect (parser, TOKEN_BRACE_CLOSE, "',' or '}'"))
    return FALSE;
  parser->depth--;
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  value_set (ret_value, CMDB_HYDRA_VALUE_DICT, node);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Functions                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  char *name; /* NULL for a positional argument */
  Value value;
} Argument;

static void
argument_clear (gpointer data)
{
  Argument *argument = data;

  g_free (argument->name);
  value_clear (&argument->value);
}

typedef struct
{
  Parser *parser;
  const char *function;
  gsize offset;
  GArray *arguments; /* Argument */
} Call;

static gboolean G_GNUC_PRINTF (2, 3) call_fail (Call *call, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  parser_fail (call->parser, call->offset, "%s() at column %u: %s", call->function,
               column_of (call->parser->text, call->offset), message);
  return FALSE;
}

static guint
call_n_positional (Call *call)
{
  guint n = 0;

  for (guint i = 0; i < call->arguments->len; i++)
    if (g_array_index (call->arguments, Argument, i).name == NULL)
      n++;
  return n;
}

/* (transfer none) (nullable) */
static Value *
call_positional (Call *call, guint index)
{
  for (guint i = 0; i < call->arguments->len; i++)
    {
      Argument *argument = &g_array_index (call->arguments, Argument, i);

      if (argument->name == NULL && index-- == 0)
        return &argument->value;
    }
  return NULL;
}

/* (transfer none) (nullable) */
static Value *
call_named (Call *call, const char *name)
{
  for (guint i = 0; i < call->arguments->len; i++)
    {
      Argument *argument = &g_array_index (call->arguments, Argument, i);

      if (argument->name != NULL && strcmp (argument->name, name) == 0)
        return &argument->value;
    }
  return NULL;
}

/* Refuses keyword arguments outside @allowed (NULL-terminated). */
static gboolean
call_check_names (Call *call, const char *const *allowed)
{
  for (guint i = 0; i < call->arguments->len; i++)
    {
      Argument *argument = &g_array_index (call->arguments, Argument, i);

      if (argument->name != NULL && (allowed == NULL || !g_strv_contains (allowed, argument->name)))
        return call_fail (call, "unexpected keyword argument '%s'", argument->name);
    }
  return TRUE;
}

/* The argument at @index or named @name (transfer none) (nullable). */
static Value *
call_argument (Call *call, guint index, const char *name)
{
  Value *named = call_named (call, name);

  return named != NULL ? named : call_positional (call, index);
}

typedef enum
{
  CAST_INT,
  CAST_FLOAT,
  CAST_STR,
  CAST_BOOL,
} CastKind;

static const char *const cast_names[] = { "int", "float", "str", "bool" };

/* Converts one scalar (or, recursively, a list or dict) the way Hydra's
 * cast functions do. Returns (transfer full) or NULL with a message. */
static JsonNode *
cast_node (CastKind kind, JsonNode *node, char **ret_message)
{
  CmdbHydraValueType type = type_of_node (node);

  if (type == CMDB_HYDRA_VALUE_NULL)
    return json_node_new (JSON_NODE_NULL);
  if (type == CMDB_HYDRA_VALUE_LIST)
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr (JsonArray) out = json_array_new ();
      JsonNode *result;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = cast_node (kind, json_array_get_element (array, i), ret_message);

          if (element == NULL)
            return NULL;
          json_array_add_element (out, element);
        }
      result = json_node_new (JSON_NODE_ARRAY);
      json_node_set_array (result, out);
      return result;
    }
  if (type == CMDB_HYDRA_VALUE_DICT)
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr (JsonObject) out = json_object_new ();
      g_autoptr (GList) members = json_object_get_members (object);
      JsonNode *result;

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *element
              = cast_node (kind, json_object_get_member (object, l->data), ret_message);

          if (element == NULL)
            return NULL;
          json_object_set_member (out, l->data, element);
        }
      result = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (result, out);
      return result;
    }

  switch (kind)
    {
      case CAST_INT:
        if (type == CMDB_HYDRA_VALUE_INT)
          return json_node_copy (node);
        if (type == CMDB_HYDRA_VALUE_BOOL)
          return node_new_int (json_node_get_boolean (node) ? 1 : 0);
        if (type == CMDB_HYDRA_VALUE_FLOAT)
          {
            double number = json_node_get_double (node);

            if (!isfinite (number) || fabs (number) >= 9.2233720368547758e18)
              {
                g_autofree char *text = cmdb_hydra_format_float (number);

                *ret_message = g_strdup_printf ("cannot convert %s to int", text);
                return NULL;
              }
            return node_new_int ((gint64) trunc (number));
          }
        else
          {
            gint64 number = 0;

            if (!parse_python_int (json_node_get_string (node), &number))
              {
                *ret_message
                    = g_strdup_printf ("cannot convert '%s' to int", json_node_get_string (node));
                return NULL;
              }
            return node_new_int (number);
          }
      case CAST_FLOAT:
        if (type == CMDB_HYDRA_VALUE_FLOAT)
          return json_node_copy (node);
        if (type == CMDB_HYDRA_VALUE_INT)
          return node_new_double ((double) json_node_get_int (node));
        if (type == CMDB_HYDRA_VALUE_BOOL)
          return node_new_double (json_node_get_boolean (node) ? 1.0 : 0.0);
        else
          {
            double number = 0;

            if (!parse_python_float (json_node_get_string (node), &number))
              {
                *ret_message
                    = g_strdup_printf ("cannot convert '%s' to float", json_node_get_string (node));
                return NULL;
              }
            return node_new_double (number);
          }
      case CAST_STR:
        if (type == CMDB_HYDRA_VALUE_STRING)
          return json_node_copy (node);
        if (type == CMDB_HYDRA_VALUE_INT)
          {
            g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

            return node_new_string (text);
          }
        if (type == CMDB_HYDRA_VALUE_FLOAT)
          {
            g_autofree char *text = cmdb_hydra_format_float (json_node_get_double (node));

            return node_new_string (text);
          }
        return node_new_string (json_node_get_boolean (node) ? "true" : "false");
      case CAST_BOOL:
      default:
        if (type == CMDB_HYDRA_VALUE_BOOL)
          return json_node_copy (node);
        if (type == CMDB_HYDRA_VALUE_INT)
          return node_new_boolean (json_node_get_int (node) != 0);
        if (type == CMDB_HYDRA_VALUE_FLOAT)
          return node_new_boolean (json_node_get_double (node) != 0.0);
        if (g_ascii_strcasecmp (json_node_get_string (node), "true") == 0)
          return node_new_boolean (TRUE);
        if (g_ascii_strcasecmp (json_node_get_string (node), "false") == 0)
          return node_new_boolean (FALSE);
        *ret_message = g_strdup_printf ("cannot convert '%s' to bool", json_node_get_string (node));
        return NULL;
    }
}

static gboolean
call_cast (Call *call, CastKind kind, Value *ret_value)
{
  static const char *const names[] = { "value", NULL };
  g_autofree char *message = NULL;
  guint n = call_n_positional (call);
  Value *named = call_named (call, "value");
  Value *single = NULL;
  JsonNode *node;

  if (!call_check_names (call, names))
    return FALSE;
  if (named != NULL && n == 0)
    single = named;
  else if (named == NULL && n == 1)
    single = call_positional (call, 0);
  else if (named != NULL || n == 0)
    return call_fail (call, "expects one value");

  if (single == NULL)
    {
      /* int(1,2) casts each value of the simple choice sweep they make. */
      g_autoptr (JsonArray) array = json_array_new ();

      for (guint i = 0; i < n; i++)
        {
          Value *argument = call_positional (call, i);
          JsonNode *element;

          if (argument->type == CMDB_HYDRA_VALUE_SWEEP)
            return call_fail (call, "a sweep cannot be one of several values");
          element = cast_node (kind, argument->node, &message);
          if (element == NULL)
            return call_fail (call, "%s", message);
          json_array_add_element (array, element);
        }
      node = json_node_new (JSON_NODE_ARRAY);
      json_node_set_array (node, array);
      value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
      ret_value->sweep = CMDB_HYDRA_SWEEP_CHOICE;
      return TRUE;
    }

  if (single->type == CMDB_HYDRA_VALUE_SWEEP)
    {
      if (single->sweep == CMDB_HYDRA_SWEEP_GLOB
          || (single->sweep == CMDB_HYDRA_SWEEP_INTERVAL && kind != CAST_FLOAT))
        return call_fail (call, "cannot convert this sweep");
      node = cast_node (kind, single->node, &message);
      if (node == NULL)
        return call_fail (call, "%s", message);
      value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
      ret_value->sweep = single->sweep;
      return TRUE;
    }
  node = cast_node (kind, single->node, &message);
  if (node == NULL)
    return call_fail (call, "%s", message);
  value_set (ret_value, type_of_node (node), node);
  return TRUE;
}

static gboolean
call_choice (Call *call, Value *ret_value)
{
  g_autoptr (JsonArray) array = json_array_new ();
  guint n = call_n_positional (call);
  JsonNode *node;

  if (!call_check_names (call, NULL))
    return FALSE;
  if (n == 0)
    return call_fail (call, "needs at least one choice");
  for (guint i = 0; i < n; i++)
    {
      Value *argument = call_positional (call, i);

      if (argument->type == CMDB_HYDRA_VALUE_SWEEP)
        return call_fail (call, "a sweep cannot be a choice");
      json_array_add_element (array, json_node_copy (argument->node));
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
  ret_value->sweep = CMDB_HYDRA_SWEEP_CHOICE;
  return TRUE;
}

static gboolean
value_is_number (const Value *value)
{
  return value != NULL
         && (value->type == CMDB_HYDRA_VALUE_INT || value->type == CMDB_HYDRA_VALUE_FLOAT);
}

static double
value_to_double (const Value *value)
{
  if (value->type == CMDB_HYDRA_VALUE_INT)
    return (double) json_node_get_int (value->node);
  return json_node_get_double (value->node);
}

static gboolean
call_range (Call *call, Value *ret_value)
{
  static const char *const names[] = { "start", "stop", "step", NULL };
  Value *start = call_argument (call, 0, "start");
  Value *stop = call_argument (call, 1, "stop");
  Value *step = call_argument (call, 2, "step");
  g_autoptr (JsonArray) array = json_array_new ();
  JsonNode *node;

  if (!call_check_names (call, names))
    return FALSE;
  if (call_n_positional (call) > 3)
    return call_fail (call, "takes at most three values (start, stop, step)");
  if (!value_is_number (start) || !value_is_number (stop)
      || (step != NULL && !value_is_number (step)))
    return call_fail (call, "start, stop and step must be numbers");

  if (start->type == CMDB_HYDRA_VALUE_INT && stop->type == CMDB_HYDRA_VALUE_INT
      && (step == NULL || step->type == CMDB_HYDRA_VALUE_INT))
    {
      gint64 first = json_node_get_int (start->node);
      gint64 end = json_node_get_int (stop->node);
      gint64 by = step != NULL ? json_node_get_int (step->node) : 1;

      if (by == 0)
        return call_fail (call, "step must not be zero");
      for (gint64 v = first; by > 0 ? v < end : v > end; v += by)
        {
          if (json_array_get_length (array) >= MAX_RANGE_VALUES)
            return call_fail (call, "more than %d values", MAX_RANGE_VALUES);
          json_array_add_int_element (array, v);
          if ((by > 0 && v > G_MAXINT64 - by) || (by < 0 && v < G_MININT64 - by))
            break;
        }
    }
  else
    {
      double first = value_to_double (start);
      double end = value_to_double (stop);
      double by = step != NULL ? value_to_double (step) : 1.0;

      if (by == 0.0 || !isfinite (by) || !isfinite (first))
        return call_fail (call, "step must be a finite number other than zero");
      for (guint i = 0;; i++)
        {
          double v = first + i * by;

          if (!(by > 0 ? v < end : v > end))
            break;
          if (i >= MAX_RANGE_VALUES)
            return call_fail (call, "more than %d values", MAX_RANGE_VALUES);
          json_array_add_double_element (array, v);
        }
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
  ret_value->sweep = CMDB_HYDRA_SWEEP_RANGE;
  return TRUE;
}

static gboolean
call_interval (Call *call, Value *ret_value)
{
  static const char *const names[] = { "start", "end", NULL };
  Value *start = call_argument (call, 0, "start");
  Value *end = call_argument (call, 1, "end");
  g_autoptr (JsonArray) array = json_array_new ();
  JsonNode *node;

  if (!call_check_names (call, names))
    return FALSE;
  if (call_n_positional (call) > 2 || !value_is_number (start) || !value_is_number (end))
    return call_fail (call, "takes two numbers (start, end)");
  json_array_add_double_element (array, value_to_double (start));
  json_array_add_double_element (array, value_to_double (end));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
  ret_value->sweep = CMDB_HYDRA_SWEEP_INTERVAL;
  return TRUE;
}

/* A string or a list of strings, as a new array (transfer full) or NULL. */
static JsonArray *
string_list_of (const Value *value)
{
  g_autoptr (JsonArray) array = json_array_new ();

  if (value->type == CMDB_HYDRA_VALUE_STRING)
    {
      json_array_add_string_element (array, json_node_get_string (value->node));
      return g_steal_pointer (&array);
    }
  if (value->type != CMDB_HYDRA_VALUE_LIST)
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (value->node)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (value->node), i);

      if (type_of_node (element) != CMDB_HYDRA_VALUE_STRING)
        return NULL;
      json_array_add_string_element (array, json_node_get_string (element));
    }
  return g_steal_pointer (&array);
}

static gboolean
call_glob (Call *call, Value *ret_value)
{
  static const char *const names[] = { "include", "exclude", NULL };
  Value *include = call_argument (call, 0, "include");
  Value *exclude = call_argument (call, 1, "exclude");
  g_autoptr (JsonObject) object = json_object_new ();
  JsonArray *includes;
  JsonArray *excludes;
  JsonNode *node;

  if (!call_check_names (call, names))
    return FALSE;
  if (include == NULL || call_n_positional (call) > 2)
    return call_fail (call, "takes include and optionally exclude");
  includes = string_list_of (include);
  excludes = exclude != NULL ? string_list_of (exclude) : json_array_new ();
  if (includes == NULL || excludes == NULL)
    {
      g_clear_pointer (&includes, json_array_unref);
      g_clear_pointer (&excludes, json_array_unref);
      return call_fail (call, "include and exclude must be strings or lists of strings");
    }
  json_object_set_array_member (object, "include", includes);
  json_object_set_array_member (object, "exclude", excludes);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
  ret_value->sweep = CMDB_HYDRA_SWEEP_GLOB;
  return TRUE;
}

static gboolean
call_tag (Call *call, Value *ret_value)
{
  static const char *const names[] = { "sweep", NULL };
  Value *sweep = call_named (call, "sweep");
  guint n = call_n_positional (call);
  guint n_tags = n;

  if (!call_check_names (call, names))
    return FALSE;
  if (sweep == NULL)
    {
      if (n == 0)
        return call_fail (call, "needs a sweep");
      sweep = call_positional (call, n - 1);
      n_tags = n - 1;
    }
  if (sweep->type != CMDB_HYDRA_VALUE_SWEEP)
    return call_fail (call, "the last value must be a sweep");
  for (guint i = 0; i < n_tags; i++)
    if (call_positional (call, i)->type != CMDB_HYDRA_VALUE_STRING)
      return call_fail (call, "tags must be strings");
  /* Tags only matter to sweepers that select by tag; they are not kept. */
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, json_node_copy (sweep->node));
  ret_value->sweep = sweep->sweep;
  return TRUE;
}

static int
compare_nodes (gconstpointer a, gconstpointer b)
{
  JsonNode *x = *(JsonNode **) a;
  JsonNode *y = *(JsonNode **) b;

  if (type_of_node (x) == CMDB_HYDRA_VALUE_STRING)
    return strcmp (json_node_get_string (x), json_node_get_string (y));
  else
    {
      double u = type_of_node (x) == CMDB_HYDRA_VALUE_INT ? (double) json_node_get_int (x)
                                                          : json_node_get_double (x);
      double v = type_of_node (y) == CMDB_HYDRA_VALUE_INT ? (double) json_node_get_int (y)
                                                          : json_node_get_double (y);

      return (u > v) - (u < v);
    }
}

/* sort() and shuffle(): of a list (a list), of a sweep (that sweep) or of
 * several values (a simple choice sweep). shuffle() keeps the order: Hydra
 * shuffles when the sweep runs, which a command builder never does. */
static gboolean
call_sort (Call *call, gboolean sort, Value *ret_value)
{
  static const char *const sort_names[] = { "sweep", "list", "reverse", NULL };
  static const char *const shuffle_names[] = { "sweep", "list", NULL };
  Value *sweep = call_named (call, "sweep");
  Value *list = call_named (call, "list");
  Value *reverse = call_named (call, "reverse");
  guint n = call_n_positional (call);
  g_autoptr (GPtrArray) elements = g_ptr_array_new ();
  g_autoptr (JsonArray) array = json_array_new ();
  CmdbHydraValueType type;
  CmdbHydraSweepKind kind;
  gboolean all_strings = TRUE;
  gboolean all_numbers = TRUE;
  JsonNode *node;

  if (!call_check_names (call, sort ? sort_names : shuffle_names))
    return FALSE;
  if (reverse != NULL && reverse->type != CMDB_HYDRA_VALUE_BOOL)
    return call_fail (call, "reverse must be true or false");
  if ((sweep != NULL) + (list != NULL) + (n > 0) != 1)
    return call_fail (call, "takes a list, a sweep or several values");

  if (sweep != NULL || list != NULL || n == 1)
    {
      Value *source = sweep != NULL ? sweep : list != NULL ? list : call_positional (call, 0);

      if (source->type == CMDB_HYDRA_VALUE_SWEEP
          && (source->sweep == CMDB_HYDRA_SWEEP_CHOICE || source->sweep == CMDB_HYDRA_SWEEP_RANGE))
        {
          type = CMDB_HYDRA_VALUE_SWEEP;
          kind = source->sweep;
        }
      else if (source->type == CMDB_HYDRA_VALUE_LIST)
        {
          type = CMDB_HYDRA_VALUE_LIST;
          kind = CMDB_HYDRA_SWEEP_NONE;
        }
      else if (source->type == CMDB_HYDRA_VALUE_SWEEP || sweep != NULL || list != NULL)
        return call_fail (call, "cannot order this value");
      else
        goto several;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (source->node)); i++)
        g_ptr_array_add (elements, json_array_get_element (json_node_get_array (source->node), i));
    }
  else
    {
    several:
      type = CMDB_HYDRA_VALUE_SWEEP;
      kind = CMDB_HYDRA_SWEEP_CHOICE;
      for (guint i = 0; i < n; i++)
        {
          Value *argument = call_positional (call, i);

          if (argument->type == CMDB_HYDRA_VALUE_SWEEP)
            return call_fail (call, "a sweep cannot be one of several values");
          g_ptr_array_add (elements, argument->node);
        }
    }

  for (guint i = 0; i < elements->len; i++)
    {
      CmdbHydraValueType element_type = type_of_node (elements->pdata[i]);

      all_strings &= element_type == CMDB_HYDRA_VALUE_STRING;
      all_numbers &= element_type == CMDB_HYDRA_VALUE_INT || element_type == CMDB_HYDRA_VALUE_FLOAT;
    }
  if (sort)
    {
      if (!all_strings && !all_numbers)
        return call_fail (call, "can only order strings or numbers, not a mix");
      g_ptr_array_sort (elements, compare_nodes);
      if (reverse != NULL && json_node_get_boolean (reverse->node))
        for (guint i = 0; i < elements->len / 2; i++)
          {
            gpointer swap = elements->pdata[i];

            elements->pdata[i] = elements->pdata[elements->len - 1 - i];
            elements->pdata[elements->len - 1 - i] = swap;
          }
    }
  for (guint i = 0; i < elements->len; i++)
    json_array_add_element (array, json_node_copy (elements->pdata[i]));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  value_set (ret_value, type, node);
  ret_value->sweep = kind;
  return TRUE;
}

static gboolean
call_function (Call *call, Value *ret_value)
{
  const char *name = call->function;

  for (guint i = 0; i < G_N_ELEMENTS (cast_names); i++)
    if (strcmp (name, cast_names[i]) == 0)
      return call_cast (call, (CastKind) i, ret_value);
  if (strcmp (name, "choice") == 0)
    return call_choice (call, ret_value);
  if (strcmp (name, "range") == 0)
    return call_range (call, ret_value);
  if (strcmp (name, "interval") == 0)
    return call_interval (call, ret_value);
  if (strcmp (name, "glob") == 0)
    return call_glob (call, ret_value);
  if (strcmp (name, "tag") == 0)
    return call_tag (call, ret_value);
  if (strcmp (name, "sort") == 0)
    return call_sort (call, TRUE, ret_value);
  if (strcmp (name, "shuffle") == 0)
    return call_sort (call, FALSE, ret_value);
  parser_fail (call->parser, call->offset, "unknown function '%s' at column %u", name,
               column_of (call->parser->text, call->offset));
  return FALSE;
}

static gboolean
parse_function (Parser *parser, Value *ret_value)
{
  g_autofree char *name = token_text (parser, peek (parser, 0));
  g_autoptr (GArray) arguments = g_array_new (FALSE, TRUE, sizeof (Argument));
  Call call = { parser, name, peek (parser, 0)->start, arguments };

  g_array_set_clear_func (arguments, argument_clear);
  if (!check_depth (parser))
    return FALSE;
  parser->depth++;
  parser->pos += 2; /* ID ( */
  if (peek (parser, 0)->type != TOKEN_PCLOSE)
    {
      do
        {
          Argument argument = { 0 };

          if (peek (parser, 0)->type == TOKEN_ID && peek (parser, 1)->type == TOKEN_EQUAL)
            {
              argument.name = token_text (parser, peek (parser, 0));
              parser->pos += 2;
            }
          if (!parse_element (parser, &argument.value))
            {
              g_free (argument.name);
              return FALSE;
            }
          g_array_append_val (arguments, argument);
        }
      while (accept (parser, TOKEN_COMMA));
    }
  if (!expect (parser, TOKEN_PCLOSE, "',' or ')'"))
    return FALSE;
  parser->depth--;
  return call_function (&call, ret_value);
}

static gboolean
parse_element (Parser *parser, Value *ret_value)
{
  const Token *token = peek (parser, 0);

  switch (token->type)
    {
      case TOKEN_BRACKET_OPEN:
        return parse_list (parser, ret_value);
      case TOKEN_BRACE_OPEN:
        return parse_dict (parser, ret_value);
      case TOKEN_QUOTED:
        {
          g_autofree char *text = unescape_quoted (parser->text + token->start, token->length);

          parser->pos++;
          value_set (ret_value, CMDB_HYDRA_VALUE_STRING, node_new_string (text));
          ret_value->quoted = TRUE;
          return TRUE;
        }
      case TOKEN_ID:
        if (peek (parser, 1)->type == TOKEN_POPEN)
          return parse_function (parser, ret_value);
        return parse_primitive (parser, FALSE, ret_value);
      default:
        if (is_primitive_token (token->type, FALSE))
          return parse_primitive (parser, FALSE, ret_value);
        fail_unexpected (parser, "a value");
        return FALSE;
    }
}

/* value: element | element (COMMA element)+ (a simple choice sweep) */
static gboolean
parse_value (Parser *parser, Value *ret_value)
{
  g_autoptr (JsonArray) choices = NULL;
  gsize offset = peek (parser, 0)->start;
  Value first = { 0 };
  JsonNode *node;

  if (!parse_element (parser, &first))
    return FALSE;
  if (peek (parser, 0)->type != TOKEN_COMMA)
    {
      *ret_value = first;
      return TRUE;
    }
  if (!refuse_sweep (parser, &first, offset, "as one of several values"))
    {
      value_clear (&first);
      return FALSE;
    }
  choices = json_array_new ();
  json_array_add_element (choices, g_steal_pointer (&first.node));
  while (accept (parser, TOKEN_COMMA))
    {
      Value next = { 0 };

      offset = peek (parser, 0)->start;
      if (!parse_element (parser, &next))
        return FALSE;
      if (!refuse_sweep (parser, &next, offset, "as one of several values"))
        {
          value_clear (&next);
          return FALSE;
        }
      json_array_add_element (choices, g_steal_pointer (&next.node));
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, choices);
  value_set (ret_value, CMDB_HYDRA_VALUE_SWEEP, node);
  ret_value->sweep = CMDB_HYDRA_SWEEP_CHOICE;
  return TRUE;
}

/* Splits @text into tokens. Returns FALSE with the parser's error set when
 * no rule matches somewhere. */
static gboolean
tokenize (Parser *parser, gboolean value_mode, GArray *tokens)
{
  const char *text = parser->text;
  gsize position = 0;
  Token eof = { TOKEN_EOF, strlen (text), 0 };

  while (text[position] != '\0')
    {
      Token token = { TOKEN_EOF, position, 0 };

      if (value_mode)
        lex_value_rule (text + position, &token.type, &token.length);
      else
        lex_key_rule (text + position, &token.type, &token.length);
      if (token.length == 0)
        {
          char c = text[position];

          if (c == '"' || c == '\'')
            parser_fail (parser, position, "the quote at column %u is never closed",
                         column_of (text, position));
          else
            {
              gunichar u = g_utf8_get_char (text + position);

              if (u >= 0x20 && u != 0x7f)
                {
                  char utf8[8] = { 0 };

                  g_unichar_to_utf8 (u, utf8);
                  parser_fail (
                      parser, position, "the character '%s' at column %u is not allowed %s", utf8,
                      column_of (text, position), value_mode ? "in an unquoted value" : "in a key");
                }
              else
                parser_fail (parser, position,
                             "the control character U+%04X at column %u is not allowed %s", u,
                             column_of (text, position),
                             value_mode ? "in an unquoted value" : "in a key");
            }
          return FALSE;
        }
      g_array_append_val (tokens, token);
      position += token.length;
      if (!value_mode && token.type == TOKEN_EQUAL)
        value_mode = TRUE;
    }
  g_array_append_val (tokens, eof);
  return TRUE;
}

/* Returns (transfer full) the text of tokens [first, last). */
static char *
slice (Parser *parser, guint first, guint last)
{
  if (last <= first)
    return g_strdup ("");
  return g_strndup (parser->text + parser->tokens[first].start,
                    parser->tokens[last - 1].start + parser->tokens[last - 1].length
                        - parser->tokens[first].start);
}

/* key: packageOrGroup (AT package)?
 * packageOrGroup: package | ID (SLASH ID)+
 * package: ( | ID | KEY_SPECIAL | DOT_PATH) */
static gboolean
parse_key (Parser *parser, char **ret_key, char **ret_package)
{
  guint first = parser->pos;
  TokenType type = peek (parser, 0)->type;

  if (type == TOKEN_ID && peek (parser, 1)->type == TOKEN_SLASH)
    {
      parser->pos++;
      while (accept (parser, TOKEN_SLASH))
        if (!expect (parser, TOKEN_ID, "a config group name"))
          return FALSE;
    }
  else if (type == TOKEN_ID || type == TOKEN_KEY_SPECIAL || type == TOKEN_DOT_PATH)
    parser->pos++;
  *ret_key = slice (parser, first, parser->pos);

  if (accept (parser, TOKEN_AT))
    {
      guint package_first = parser->pos;

      type = peek (parser, 0)->type;
      if (type == TOKEN_ID || type == TOKEN_KEY_SPECIAL || type == TOKEN_DOT_PATH)
        parser->pos++;
      *ret_package = slice (parser, package_first, parser->pos);
    }
  return TRUE;
}

static void
parser_clear (Parser *parser)
{
  g_clear_pointer (&parser->error, g_free);
}

gboolean
cmdb_hydra_read_value_text (const char *text, CmdbHydraValueType *ret_type, JsonNode **ret_value)
{
  g_autoptr (GArray) tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  Parser parser = { text, NULL, 0, 0, 0, NULL, 0 };
  Value value = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL) || !tokenize (&parser, TRUE, tokens))
    goto out;
  parser.tokens = (Token *) (gpointer) tokens->data;
  parser.n_tokens = tokens->len;
  if (peek (&parser, 0)->type == TOKEN_EOF)
    {
      value_set (&value, CMDB_HYDRA_VALUE_STRING, node_new_string (""));
      ok = TRUE;
    }
  else
    ok = parse_value (&parser, &value) && expect (&parser, TOKEN_EOF, "the end of the value");
  if (ok)
    {
      *ret_type = value.type;
      *ret_value = g_steal_pointer (&value.node);
    }
out:
  value_clear (&value);
  parser_clear (&parser);
  return ok;
}

CmdbHydraOverride *
cmdb_hydra_override_parse (const char *token, GError **error)
{
  g_autoptr (GArray) tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  g_autoptr (CmdbHydraOverride) result = NULL;
  Parser parser = { token, NULL, 0, 0, 0, NULL, 0 };
  Value value = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (token != NULL, NULL);

  if (!g_utf8_validate (token, -1, NULL))
    {
      g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_PARSE,
                   "cannot read override: the token is not valid UTF-8");
      return NULL;
    }
  result = g_new0 (CmdbHydraOverride, 1);
  if (!tokenize (&parser, FALSE, tokens))
    goto out;
  parser.tokens = (Token *) (gpointer) tokens->data;
  parser.n_tokens = tokens->len;

  if (accept (&parser, TOKEN_TILDE))
    result->type = CMDB_HYDRA_OVERRIDE_DELETE;
  else if (accept (&parser, TOKEN_PLUS))
    result->type
        = accept (&parser, TOKEN_PLUS) ? CMDB_HYDRA_OVERRIDE_FORCE_ADD : CMDB_HYDRA_OVERRIDE_ADD;
  else
    result->type = CMDB_HYDRA_OVERRIDE_CHANGE;

  if (!parse_key (&parser, &result->key, &result->package))
    goto out;

  if (!accept (&parser, TOKEN_EQUAL))
    {
      if (result->type != CMDB_HYDRA_OVERRIDE_DELETE || peek (&parser, 0)->type != TOKEN_EOF)
        {
          fail_unexpected (&parser, result->type == CMDB_HYDRA_OVERRIDE_DELETE
                                        ? "'=' or the end of the override"
                                        : "'=' after the key");
          goto out;
        }
      result->has_value = FALSE;
      result->value_type = CMDB_HYDRA_VALUE_NULL;
      result->value = json_node_new (JSON_NODE_NULL);
      ok = TRUE;
      goto out;
    }

  result->has_value = TRUE;
  if (peek (&parser, 0)->type == TOKEN_EOF)
    {
      /* `key=` is the empty string, not null. */
      value_set (&value, CMDB_HYDRA_VALUE_STRING, node_new_string (""));
    }
  else if (!parse_value (&parser, &value))
    goto out;
  if (!expect (&parser, TOKEN_EOF, "the end of the override"))
    goto out;
  result->value_type = value.type;
  result->sweep_kind = value.sweep;
  result->value_quoted = value.quoted;
  result->value = g_steal_pointer (&value.node);
  ok = TRUE;

out:
  value_clear (&value);
  if (!ok)
    {
      g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_PARSE, "cannot read override '%s': %s",
                   token, parser.error != NULL ? parser.error : "invalid override");
      parser_clear (&parser);
      return NULL;
    }
  parser_clear (&parser);
  return g_steal_pointer (&result);
}

CmdbHydraOverride *
cmdb_hydra_override_copy (const CmdbHydraOverride *override)
{
  CmdbHydraOverride *copy;

  if (override == NULL)
    return NULL;
  copy = g_new0 (CmdbHydraOverride, 1);
  *copy = *override;
  copy->key = g_strdup (override->key);
  copy->package = g_strdup (override->package);
  copy->value = override->value != NULL ? json_node_copy (override->value) : NULL;
  return copy;
}

void
cmdb_hydra_override_free (CmdbHydraOverride *override)
{
  if (override == NULL)
    return;
  g_free (override->key);
  g_free (override->package);
  g_clear_pointer (&override->value, json_node_unref);
  g_free (override);
}

const char *
cmdb_hydra_override_type_to_string (CmdbHydraOverrideType type)
{
  switch (type)
    {
      case CMDB_HYDRA_OVERRIDE_CHANGE:
        return "CHANGE";
      case CMDB_HYDRA_OVERRIDE_ADD:
        return "ADD";
      case CMDB_HYDRA_OVERRIDE_FORCE_ADD:
        return "FORCE_ADD";
      case CMDB_HYDRA_OVERRIDE_DELETE:
        return "DEL";
      default:
        return "unknown";
    }
}

const char *
cmdb_hydra_value_type_to_string (CmdbHydraValueType type)
{
  switch (type)
    {
      case CMDB_HYDRA_VALUE_STRING:
        return "str";
      case CMDB_HYDRA_VALUE_INT:
        return "int";
      case CMDB_HYDRA_VALUE_FLOAT:
        return "float";
      case CMDB_HYDRA_VALUE_BOOL:
        return "bool";
      case CMDB_HYDRA_VALUE_NULL:
        return "null";
      case CMDB_HYDRA_VALUE_LIST:
        return "list";
      case CMDB_HYDRA_VALUE_DICT:
        return "dict";
      case CMDB_HYDRA_VALUE_SWEEP:
        return "sweep";
      default:
        return "unknown";
    }
}

gboolean
cmdb_hydra_check_key (const char *key, GError **error)
{
  g_autoptr (CmdbHydraOverride) override = NULL;
  g_autofree char *token = NULL;

  g_return_val_if_fail (key != NULL, FALSE);

  /* Read the key as part of a whole override, so the rules are exactly the
   * reader's; a `=` inside the key makes that fail too. */
  token = g_strconcat (key, "=x", NULL);
  override = cmdb_hydra_override_parse (token, NULL);
  if (override == NULL || override->key[0] == '\0')
    {
      g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_KEY,
                   "invalid override key '%s': a key is a dotted path of names "
                   "([A-Za-z_$][A-Za-z0-9_$-]*) or unsigned integers, or a config group "
                   "(name/name), optionally after +, ++ or ~ and before @package; "
                   "keys cannot be quoted",
                   key);
      return FALSE;
    }
  return TRUE;
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbHydraOverride, cmdb_hydra_override, cmdb_hydra_override_copy,
                     cmdb_hydra_override_free)
