/* cmdb-model-page-rules.h: the rules of the original app's model pages
 * (Train, Test, Predict), shared by the bundled page plugins.
 *
 * The engine knows none of these keys: they are the pages' rule defaults
 * (CmdbPageInterface.get_rules), the declarative rules of
 * docs/schema-format.md applied to the elements of the original's schema
 * format (exp_name, encoder, decoder, head, loss, optimizer,
 * learning_rate, preprocessing_profile), which a schema can still set or
 * replace itself. */
#pragma once

#include <cmdbuilder/cmdbuilder.h>

G_BEGIN_DECLS

/* (transfer full): {key: {rule: value}} for a model page: the
 * experiment-name role and its -<architecture>-<decoder>-<encoder> suffix
 * (not when resuming), component compatibility with the selected
 * architecture, the optimizer recommendation (a warning), the learning
 * rate within the optimizer's bounds, and the preprocessing profile (its
 * overrides replace the data config). */
JsonObject *cmdb_model_page_rules_new (void);

G_END_DECLS
