/* cmdb-server-page-evaluation-private.h: a page evaluated for its stored
 * state (the form, its command, the composition check, the edited text read
 * against the form), kept as the page's last evaluation in the cache and
 * shared by the page's render and its answers. Private to core/server/. */
#pragma once

#include "cmdb-server-resource-private.h"
#include "session/cmdb-page-session-private.h"

G_BEGIN_DECLS

/* The cache key of a page's last evaluation, followed by the page's id. */
#define CMDB_PAGE_EVALUATION_KEY "server:page-evaluation:"

/* Everything one page view needs, computed from the stored state. */
typedef struct
{
  CmdbPageSession *session; /* activate, schema, evaluate, build: as the CLI */
  CmdbPluginRecord *record; /* (transfer none) */
  CmdbSchema *schema;
  CmdbFormState *form;
  CmdbCommand *command;        /* (nullable) */
  char *command_error;         /* (nullable) */
  char *defaults_command;      /* (nullable) */
  GPtrArray *use_cases;        /* (nullable) */
  gboolean suffix_available;   /* the page shows the suffix checkbox */
  gboolean suffix_default;     /* [command] suffix, else the plugin's X-Suffix */
  gboolean suffix;             /* what the command was built with */
  CmdbComposeResult *compose;  /* (nullable): the composition check of what would run */
  GPtrArray *compose_errors;   /* (nullable): its problems no field owns */
  CmdbCommandReading *reading; /* (nullable) the edited text read against the form */
  GPtrArray *setup_problems;   /* (element-type CmdbProblem) what stops this page's runs */
  char *inputs;                /* (nullable) the stored state it was computed from */
  /* Made on first need, then shared by the page's render and answers: */
  JsonNode *form_node;    /* (nullable) the form as JSON, with the fields' option sources */
  JsonNode *command_node; /* (nullable) cmdb_page_evaluation_command_json() */
  char *form_text;        /* (nullable) form_node as text */
  char *command_text;     /* (nullable) command_node as text */
} CmdbPageEvaluation;

/* (transfer full): an empty evaluation (reference counted; an evaluation
 * from the cache is shared, so nobody changes one they did not make). */
CmdbPageEvaluation *cmdb_page_evaluation_new (void);
CmdbPageEvaluation *cmdb_page_evaluation_ref (CmdbPageEvaluation *evaluation);
void cmdb_page_evaluation_unref (CmdbPageEvaluation *evaluation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbPageEvaluation, cmdb_page_evaluation_unref)

/* (transfer full) (nullable): the evaluation of @page_id for the stored
 * state of @store, from the cache while nothing it was computed from
 * changed; NULL with @error when the page cannot be evaluated. */
CmdbPageEvaluation *cmdb_server_evaluate_page (CmdbServer *server, const char *page_id,
                                               CmdbPageStore *store, GError **error);

/* Opens @evaluation's page session: the page activated, its schema loaded. */
gboolean cmdb_page_evaluation_open (CmdbServer *server, const char *page_id,
                                    CmdbPageEvaluation *evaluation, GError **error);
/* Sets @evaluation's suffix fields from the page's rule and @store's choice. */
void cmdb_page_evaluation_resolve_suffix (CmdbPageStore *store, CmdbPageEvaluation *evaluation);
/* The composition check of what Run would run, into @evaluation. */
void cmdb_page_evaluation_check_composes (CmdbPageEvaluation *evaluation, CmdbPageStore *store);
/* (transfer full) (nullable): @store's edited command read against the form
 * of @evaluation. */
CmdbCommandReading *cmdb_page_evaluation_read_edited_command (CmdbPageStore *store,
                                                              CmdbPageEvaluation *evaluation);

/* (transfer full): the command of @evaluation as JSON (with its pretty form
 * and the composition verdict). */
JsonNode *cmdb_page_evaluation_command_json (CmdbPageEvaluation *evaluation);
/* (transfer none): the form and the command as JSON trees and as text, each
 * made once per evaluation. */
JsonNode *cmdb_page_evaluation_form_node (CmdbPageEvaluation *evaluation);
JsonNode *cmdb_page_evaluation_command_node (CmdbPageEvaluation *evaluation);
const char *cmdb_page_evaluation_form_text (CmdbPageEvaluation *evaluation);
const char *cmdb_page_evaluation_command_text (CmdbPageEvaluation *evaluation);

/* (transfer full): the form input of @store's user values and choices. */
CmdbFormInput *cmdb_server_input_from_store (CmdbPageStore *store);
/* Puts @input's user values back into @store. */
void cmdb_server_store_values_from_input (CmdbPageStore *store, CmdbFormInput *input);
/* (transfer full) (nullable): the command of @page_id's defaults (cached). */
char *cmdb_server_defaults_command_display (CmdbServer *server, const char *page_id,
                                            const char *schema_path,
                                            CmdbPageEvaluation *evaluation);

G_END_DECLS
