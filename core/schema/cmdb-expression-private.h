/* cmdb-expression-private.h: the visible_if / required_if language.
 *
 *   expression  := or
 *   or          := and ( "or" and )*
 *   and         := not ( "and" not )*
 *   not         := "not" not | comparison
 *   comparison  := operand [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand ]
 *   operand     := NAME | STRING | NUMBER | "true" | "false" | "null" | "(" expression ")"
 *
 * One semantics for both keys, and evaluation never fails: every error
 * (syntax, unknown or later names) is found when the schema loads.
 *   - null equals only null; values of different kinds are never equal
 *     (a boolean is not a number); ints and floats compare as numbers;
 *   - ordering (< <= > >=) compares two numbers, or two strings bytewise;
 *     anything else (null, a hidden element, mixed kinds) is false;
 *   - truth: false, null, 0, "" and an empty list are false;
 *   - and/or/not give booleans.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_EXPRESSION_ERROR (cmdb_expression_error_quark ())

typedef enum
{
  CMDB_EXPRESSION_ERROR_SYNTAX,
} CmdbExpressionError;

/* Returns (transfer none) (nullable) the current value of @name: NULL or a
 * JSON null node both mean null. */
typedef JsonNode *(*CmdbExpressionLookup) (const char *name, gpointer user_data);
/* Called for each name the expression reads, with its byte offset. */
typedef void (*CmdbExpressionNameFunc) (const char *name, guint offset, gpointer user_data);

#define cmdb_expression_error_quark _cmdb_expression_error_quark
CMDB_PRIVATE_EXPORT
GQuark cmdb_expression_error_quark (void);

/* Parses @text. Returns (transfer full) the expression, or NULL with @error
 * set and @ret_offset (nullable) receiving the byte offset of the problem. */
#define cmdb_expression_parse _cmdb_expression_parse
CMDB_PRIVATE_EXPORT
CmdbExpression *cmdb_expression_parse (const char *text, guint *ret_offset, GError **error);
#define cmdb_expression_free _cmdb_expression_free
CMDB_PRIVATE_EXPORT
void cmdb_expression_free (CmdbExpression *expression);
void cmdb_expression_foreach_name (CmdbExpression *expression, CmdbExpressionNameFunc func,
                                   gpointer user_data);
#define cmdb_expression_evaluate _cmdb_expression_evaluate
CMDB_PRIVATE_EXPORT
gboolean cmdb_expression_evaluate (CmdbExpression *expression, CmdbExpressionLookup lookup,
                                   gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbExpression, cmdb_expression_free)

G_END_DECLS
