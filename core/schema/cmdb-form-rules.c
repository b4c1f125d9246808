#define G_LOG_DOMAIN "cmdb-schema"

/* The declarative rules an element can carry (docs/schema-format.md,
 * "Rules"): what used to be one page's code in the engine is now an
 * attribute any page and any model family can use. A schema writes them on
 * its elements; a page plugin's rule defaults (cmdb_page_get_rules) supply
 * them for schemas that do not (the original's files). This file knows the
 * attributes and their shapes, and fills message templates. */

#include "cmdbuilder.h"
#include "schema/cmdb-schema-private.h"

#include <string.h>

typedef enum
{
  SHAPE_STRING,
  SHAPE_STRINGS,
  SHAPE_BOOLEAN,
  SHAPE_SEVERITY,
} RuleShape;

static const struct
{
  const char *name;
  RuleShape shape;
} rules[] = {
  { CMDB_RULE_ROLE, SHAPE_STRING },
  { CMDB_RULE_NAME_SUFFIX, SHAPE_STRINGS },
  { CMDB_RULE_NAME_SUFFIX_REQUIRES, SHAPE_STRINGS },
  { CMDB_RULE_NAME_SUFFIX_UNLESS, SHAPE_STRINGS },
  { CMDB_RULE_INCOMPATIBLE_MESSAGE, SHAPE_STRING },
  { CMDB_RULE_INCOMPATIBLE_LIST, SHAPE_STRING },
  { CMDB_RULE_INCOMPATIBLE_SEVERITY, SHAPE_SEVERITY },
  { CMDB_RULE_OPTIMIZER_BOUNDS_MESSAGE, SHAPE_STRING },
  { CMDB_RULE_PROFILE_OVERRIDES, SHAPE_BOOLEAN },
  { CMDB_RULE_PROFILE_REPLACES, SHAPE_STRINGS },
};

static gboolean
is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

gboolean
cmdb_form_rule_is_known (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    if (g_str_equal (rules[i].name, name))
      return TRUE;
  return FALSE;
}

gboolean
cmdb_form_rule_check (const char *name, JsonNode *value, char **ret_reason)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      if (!g_str_equal (rules[i].name, name))
        continue;
      switch (rules[i].shape)
        {
          case SHAPE_STRING:
            if (is_string (value))
              return TRUE;
            *ret_reason = g_strdup ("must be a string");
            return FALSE;
          case SHAPE_BOOLEAN:
            if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_BOOLEAN)
              return TRUE;
            *ret_reason = g_strdup ("must be true or false");
            return FALSE;
          case SHAPE_SEVERITY:
            if (is_string (value)
                && (g_str_equal (json_node_get_string (value), "error")
                    || g_str_equal (json_node_get_string (value), "warning")))
              return TRUE;
            *ret_reason = g_strdup ("must be error or warning");
            return FALSE;
          case SHAPE_STRINGS:
            if (JSON_NODE_HOLDS_ARRAY (value))
              {
                JsonArray *array = json_node_get_array (value);

                for (guint j = 0; j < json_array_get_length (array); j++)
                  if (!is_string (json_array_get_element (array, j)))
                    {
                      *ret_reason = g_strdup ("must be a list of element keys");
                      return FALSE;
                    }
                return TRUE;
              }
            *ret_reason = g_strdup ("must be a list of element keys");
            return FALSE;
        }
    }
  *ret_reason = g_strdup ("is not a rule");
  return FALSE;
}

char *
cmdb_form_rule_fill (const char *template_text, const char *const *fields)
{
  GString *out = g_string_new (NULL);

  for (const char *p = template_text; *p != '\0'; p++)
    {
      const char *close;
      gboolean done = FALSE;

      if (*p != '{' || (close = strchr (p, '}')) == NULL)
        {
          g_string_append_c (out, *p);
          continue;
        }
      for (guint i = 0; fields[i] != NULL && fields[i + 1] != NULL && !done; i += 2)
        if (strlen (fields[i]) == (gsize) (close - p - 1)
            && strncmp (fields[i], p + 1, close - p - 1) == 0)
          {
            g_string_append (out, fields[i + 1]);
            done = TRUE;
          }
      if (!done)
        g_string_append_len (out, p, close - p + 1);
      p = close;
    }
  return g_string_free (out, FALSE);
}

JsonNode *
cmdb_form_rule_get (const CmdbSchemaElement *element, JsonObject *defaults, const char *name)
{
  JsonObject *page_rules;

  if (element->rules != NULL && json_object_has_member (element->rules, name))
    return json_object_get_member (element->rules, name);
  if (defaults == NULL || !json_object_has_member (defaults, element->key)
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (defaults, element->key)))
    return NULL;
  page_rules = json_object_get_object_member (defaults, element->key);
  return json_object_has_member (page_rules, name) ? json_object_get_member (page_rules, name)
                                                   : NULL;
}

const char *
cmdb_form_rule_get_string (const CmdbSchemaElement *element, JsonObject *defaults, const char *name)
{
  JsonNode *node = cmdb_form_rule_get (element, defaults, name);

  return node != NULL && is_string (node) ? json_node_get_string (node) : NULL;
}

JsonObject *
cmdb_form_rules_filter (JsonObject *defaults, const char *origin, GPtrArray *problems)
{
  JsonObject *kept = json_object_new ();
  g_autoptr (GList) keys = NULL;

  if (defaults == NULL)
    return kept;
  keys = json_object_get_members (defaults);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (defaults, l->data);
      JsonObject *element_rules;
      JsonObject *kept_rules;
      g_autoptr (GList) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_ptr_array_add (problems,
                           cmdb_problem_new (CMDB_SEVERITY_ERROR, origin, 0, 0, l->data,
                                             "the rules of '%s' must be an object of rule: value",
                                             (const char *) l->data));
          continue;
        }
      element_rules = json_node_get_object (node);
      kept_rules = json_object_new ();
      names = json_object_get_members (element_rules);
      for (GList *n = names; n != NULL; n = n->next)
        {
          g_autofree char *reason = NULL;

          if (!cmdb_form_rule_is_known (n->data))
            reason = g_strdup ("is not a rule");
          else
            cmdb_form_rule_check (n->data, json_object_get_member (element_rules, n->data),
                                  &reason);
          if (reason != NULL)
            {
              g_ptr_array_add (problems,
                               cmdb_problem_new (CMDB_SEVERITY_ERROR, origin, 0, 0, l->data,
                                                 "rule '%s' of '%s' %s; it is ignored",
                                                 (const char *) n->data, (const char *) l->data,
                                                 reason));
              continue;
            }
          json_object_set_member (kept_rules, n->data,
                                  json_node_copy (json_object_get_member (element_rules, n->data)));
        }
      json_object_set_object_member (kept, l->data, kept_rules);
    }
  return kept;
}
