#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose-resolve.c: interpolations, as OmegaConf resolves them.
 *
 * `${a.b}` is absolute, `${.b}` relative to the node's parent (each extra
 * dot one level up); `${name:args}` is a resolver call (now, oc.env,
 * oc.select, hydra, ...): its value is only known at run time, so it
 * resolves to an opaque string and is never flagged, but interpolations in
 * its arguments are checked. A key that is missing is "Interpolation key 'x'
 * not found"; a node met again while it is being resolved is "Recursive
 * interpolation detected", the two failures the reference vectors show.
 */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

/* A node's value once resolved: the node it points at, or built text. */
typedef struct
{
  const CfgNode *target;
  char *text;
} Resolved;

typedef struct
{
  CfgNode *root;
  GPtrArray *stack; /* nodes being resolved */
  CfgResolveStatus status;
  char *message;
  GHashTable *memo;     /* (nullable) node -> Resolved: the resolve stage reads
                     * each node once, however many interpolations name it */
  const CfgNode *probe; /* the temporary node of an interpolation inside a
                         * string: on the stack, never remembered */
} Resolver;

static void
resolved_free (Resolved *resolved)
{
  g_free (resolved->text);
  g_free (resolved);
}

static gboolean resolve_value (Resolver *r, CfgNode *node, const CfgNode **ret_target,
                               char **ret_text);

static gboolean
fail (Resolver *r, CfgResolveStatus status, char *message)
{
  if (r->status == CFG_RESOLVE_OK)
    {
      r->status = status;
      r->message = message;
    }
  else
    g_free (message);
  return FALSE;
}

/* Finds the `}` closing the `${` at @start (nested braces counted).
 * Returns its offset or -1. */
static gssize
find_close (const char *text, gsize start)
{
  int depth = 0;

  for (gsize i = start; text[i] != '\0'; i++)
    {
      if (text[i] == '\\' && text[i + 1] != '\0')
        {
          i++;
          continue;
        }
      if (text[i] == '$' && text[i + 1] == '{')
        {
          depth++;
          i++;
        }
      else if (text[i] == '}')
        {
          depth--;
          if (depth == 0)
            return (gssize) i;
        }
    }
  return -1;
}

static gboolean is_resolver_call (const char *inner);

/* Replaces every interpolation in @text by its string value. */
static gboolean
expand_string (Resolver *r, CfgNode *context, const char *text, char **ret_text)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; text[i] != '\0'; i++)
    {
      if (text[i] == '\\' && text[i + 1] == '$' && text[i + 2] == '{')
        {
          g_string_append (out, "${");
          i += 2;
          continue;
        }
      if (text[i] == '$' && text[i + 1] == '{')
        {
          gssize close = find_close (text, i);
          g_autofree char *inner = NULL;
          const CfgNode *target = NULL;
          g_autofree char *value_text = NULL;
          gboolean ok;

          if (close < 0)
            {
              g_string_free (out, TRUE);
              return fail (r, CFG_RESOLVE_SYNTAX,
                           g_strdup_printf ("GrammarParseError: cannot read '%s'", text));
            }
          inner = g_strndup (text + i + 2, (gsize) close - i - 2);
          {
            CfgNode probe = { 0 };
            g_autofree char *wrapped = g_strdup_printf ("${%s}", inner);

            probe.kind = CFG_VALUE;
            probe.value = json_node_new (JSON_NODE_VALUE);
            json_node_set_string (probe.value, wrapped);
            probe.parent = context->parent;
            {
              const CfgNode *outer = r->probe;

              r->probe = &probe;
              ok = resolve_value (r, &probe, &target, &value_text);
              r->probe = outer;
            }
            json_node_unref (probe.value);
          }
          if (!ok)
            {
              g_string_free (out, TRUE);
              return FALSE;
            }
          if (value_text != NULL)
            g_string_append (out, value_text);
          else
            {
              g_autofree char *str = cfg_node_to_python_str (target);

              g_string_append (out, str);
            }
          i = (gsize) close;
          continue;
        }
      g_string_append_c (out, text[i]);
    }
  *ret_text = g_string_free (out, FALSE);
  return TRUE;
}

static gboolean
is_resolver_call (const char *inner)
{
  gsize i = 0;

  while (g_ascii_isspace (inner[i]))
    i++;
  if (!(g_ascii_isalpha (inner[i]) || inner[i] == '_'))
    return FALSE;
  while (g_ascii_isalnum (inner[i]) || inner[i] == '_' || inner[i] == '.')
    i++;
  return inner[i] == ':';
}

/* Looks up the dotted @key from @context (the node holding the
 * interpolation). */
static gboolean
lookup_key (Resolver *r, CfgNode *context, const char *key, const CfgNode **ret_target)
{
  CfgNode *current;
  g_auto (GStrv) parts = NULL;
  const char *path = key;

  if (key[0] == '.')
    {
      current = context->parent;
      path++;
      while (path[0] == '.')
        {
          if (current != NULL)
            current = current->parent;
          path++;
        }
      if (current == NULL)
        return fail (r, CFG_RESOLVE_KEY_ERROR,
                     g_strdup_printf ("Interpolation key '%s' not found", key));
    }
  else
    current = r->root;

  if (path[0] == '\0')
    {
      *ret_target = current;
      return TRUE;
    }
  parts = g_strsplit (path, ".", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      CfgNode *next = NULL;

      if (cfg_node_is_interpolation (current))
        {
          const CfgNode *target = NULL;
          g_autofree char *text = NULL;

          if (!resolve_value (r, current, &target, &text))
            return FALSE;
          current = (CfgNode *) target;
        }
      if (current != NULL && current->kind == CFG_DICT)
        next = cfg_dict_get (current, parts[i]);
      else if (current != NULL && current->kind == CFG_LIST)
        {
          char *end = NULL;
          guint64 index = g_ascii_strtoull (parts[i], &end, 10);

          if (parts[i][0] != '\0' && *end == '\0' && index < current->items->len)
            next = g_ptr_array_index (current->items, index);
        }
      if (next == NULL)
        return fail (r, CFG_RESOLVE_KEY_ERROR,
                     g_strdup_printf ("Interpolation key '%s' not found", key));
      current = next;
    }
  if (cfg_node_is_missing (current))
    return fail (r, CFG_RESOLVE_MISSING,
                 g_strdup_printf ("MissingMandatoryValue while resolving interpolation: "
                                  "Missing mandatory value: %s",
                                  key));
  if (cfg_node_is_interpolation (current))
    {
      g_autofree char *text = NULL;
      const CfgNode *target = NULL;

      if (!resolve_value (r, current, &target, &text))
        return FALSE;
      if (text != NULL)
        {
          /* A string built from text: the node itself stands for it. */
          *ret_target = current;
          return TRUE;
        }
      current = (CfgNode *) target;
    }
  *ret_target = current;
  return TRUE;
}

static gboolean
resolve_value (Resolver *r, CfgNode *node, const CfgNode **ret_target, char **ret_text)
{
  const char *text;
  gsize length;
  gboolean ok;

  *ret_target = NULL;
  *ret_text = NULL;
  if (!cfg_node_is_interpolation (node))
    {
      *ret_target = node;
      return TRUE;
    }
  if (r->memo != NULL && node != r->probe)
    {
      Resolved *known = g_hash_table_lookup (r->memo, node);

      if (known != NULL)
        {
          *ret_target = known->target;
          *ret_text = g_strdup (known->text);
          return TRUE;
        }
    }
  for (guint i = 0; i < r->stack->len; i++)
    if (g_ptr_array_index (r->stack, i) == node)
      return fail (r, CFG_RESOLVE_CYCLE, g_strdup ("Recursive interpolation detected"));

  g_ptr_array_add (r->stack, node);
  text = cfg_node_get_string (node);
  length = strlen (text);
  if (text[0] == '$' && text[1] == '{' && find_close (text, 0) == (gssize) length - 1)
    {
      g_autofree char *inner = g_strndup (text + 2, length - 3);

      if (is_resolver_call (inner))
        {
          const char *colon = strchr (inner, ':');
          g_autofree char *args = NULL;

          /* Interpolations in the arguments are resolved first. */
          ok = expand_string (r, node, colon + 1, &args);
          if (ok)
            *ret_text = g_strdup_printf ("<%.*s>", (int) (colon - inner), inner);
        }
      else if (strstr (inner, "${") != NULL)
        {
          g_autofree char *key = NULL;

          ok = expand_string (r, node, inner, &key);
          if (ok)
            {
              g_strstrip (key);
              ok = lookup_key (r, node, key, ret_target);
            }
        }
      else
        {
          g_strstrip (inner);
          ok = lookup_key (r, node, inner, ret_target);
        }
    }
  else
    ok = expand_string (r, node, text, ret_text);
  g_ptr_array_remove_index (r->stack, r->stack->len - 1);
  if (ok && r->memo != NULL && node != r->probe)
    {
      Resolved *resolved = g_new0 (Resolved, 1);

      resolved->target = *ret_target;
      resolved->text = g_strdup (*ret_text);
      g_hash_table_insert (r->memo, node, resolved);
    }
  return ok;
}

CfgResolveStatus
cfg_resolve_node (CfgNode *root, CfgNode *node, const CfgNode **ret_target, char **ret_text,
                  char **ret_message)
{
  Resolver r = { root, g_ptr_array_new (), CFG_RESOLVE_OK, NULL, NULL, NULL };

  if (!resolve_value (&r, node, ret_target, ret_text))
    {
      *ret_message = g_steal_pointer (&r.message);
      g_ptr_array_unref (r.stack);
      return r.status;
    }
  g_ptr_array_unref (r.stack);
  *ret_message = NULL;
  return CFG_RESOLVE_OK;
}

static const char *
status_class (CfgResolveStatus status)
{
  switch (status)
    {
      case CFG_RESOLVE_KEY_ERROR:
        return "InterpolationKeyError";
      case CFG_RESOLVE_CYCLE:
        return "InterpolationResolutionError";
      case CFG_RESOLVE_MISSING:
        return "InterpolationToMissingValueError";
      case CFG_RESOLVE_SYNTAX:
        return "GrammarParseError";
      case CFG_RESOLVE_OK:
      default:
        return "";
    }
}

static void
resolve_walk (Resolver *r, CfgNode *node, JsonArray *problems)
{
  if (node->kind != CFG_VALUE)
    {
      for (guint i = 0; i < node->items->len; i++)
        resolve_walk (r, g_ptr_array_index (node->items, i), problems);
      return;
    }
  if (cfg_node_is_interpolation (node))
    {
      const CfgNode *target = NULL;
      g_autofree char *text = NULL;

      r->status = CFG_RESOLVE_OK;
      g_clear_pointer (&r->message, g_free);
      g_ptr_array_set_size (r->stack, 0);
      if (!resolve_value (r, node, &target, &text))
        {
          JsonObject *problem = json_object_new ();
          g_autofree char *key = cfg_node_dup_path (node);

          json_object_set_string_member (problem, "key", key);
          json_object_set_string_member (problem, "value", cfg_node_get_string (node));
          json_object_set_string_member (problem, "error_class", status_class (r->status));
          json_object_set_string_member (problem, "message", r->message);
          json_array_add_object_element (problems, problem);
        }
    }
}

void
cfg_resolve_all (CfgNode *root, JsonArray *problems)
{
  Resolver r = { root, g_ptr_array_new (), CFG_RESOLVE_OK, NULL, NULL, NULL };

  r.memo
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) resolved_free);
  resolve_walk (&r, root, problems);
  g_hash_table_unref (r.memo);
  g_ptr_array_unref (r.stack);
  g_free (r.message);
}
