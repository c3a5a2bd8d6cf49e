/* pos_till: a minimal point-of-sale till on the medcode C ABI.
 *
 * Loads a trust list (default keys/trust.json, the DEMO list), reads one
 * scanned code per line on stdin (as a keyboard-style barcode scanner types
 * it) and prints one verdict line per code:
 *
 *   accepted insured=<id> name=<masked> region=<code> status=<s> scheme=<s> expires_at=<unix> [note=<n>...] [detail=<words>]
 *   rejected reason=<reason> code=<n> detail=<plain words>
 *
 * Each code is accepted once: a second presentation of the same code is
 * "rejected reason=replayed" (an in-memory replay guard by default).
 *
 * Usage: pos_till [TRUST_FILE] < scanned-lines
 * Environment:
 *   MEDCODE_NOW=<unix seconds>   check at that instant instead of the clock
 *                                (for reproducible runs)
 *   MEDCODE_TILL_REGION=<code>   the till's 6-digit region
 *   MEDCODE_REPLAY=memory|none|file:PATH|redis://HOST:PORT[/DB]
 *                 |redis+cluster://HOST:PORT[,HOST:PORT...]
 *                                the replay guard (default memory); file: an
 *                                SQLite file that survives restarts; redis://
 *                                one guard shared by the tills of a chain,
 *                                redis+cluster:// the same on a Redis Cluster
 *   MEDCODE_REPLAY_UNAVAILABLE=fail-closed|local-fallback
 *                                what a redis:// guard does while Redis is
 *                                unreachable (default fail-closed)
 *   MEDCODE_ROOT_KEY=<ROOT.pub>  pin this root key: the trust list (default
 *                                then keys/trust.signed.json) and the
 *                                revocation list must be signed by it
 *   MEDCODE_REVOCATIONS=<file>   a revocation list (signed with a root key)
 *   MEDCODE_STATE=<file>         with MEDCODE_ROOT_KEY: keep the highest list
 *                                sequences used there and refuse an older
 *                                signed list on later runs (rollback)
 * Exit 0 when every line was checked, 2 on a setup error.
 *
 * Build (see docs/EMBEDDING.md):
 *   cargo build -p medcode-capi --release
 *   cc -Iinclude examples/c/pos_till.c -Ltarget/release -lmedcode_capi \
 *      -Wl,-rpath,"$PWD/target/release" -o pos_till
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "medcode.h"

/* Longer than any token (512 bytes): a longer line is cut here, and the
 * library refuses the cut text as malformed. */
#define LINE_CAP 1024

static int parse_u64(const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

static void print_verdict(const MedcodeResult *r) {
    if (!r->accepted) {
        printf("rejected reason=%s code=%u detail=%s\n", r->reason_str,
               (unsigned)r->reason, r->detail);
        return;
    }
    printf("accepted insured=%s name=%s region=%06u status=%s scheme=%s expires_at=%llu",
           r->insured, r->name, (unsigned)r->region, r->status, r->scheme,
           (unsigned long long)r->expires_at);
    if (r->presenter.present) {
        printf(" presenter=%s relation=%s mutual_aid=%s", r->presenter.insured,
               r->presenter.relation, r->presenter.mutual_aid ? "filed" : "not_filed");
    }
    if (r->notices & MEDCODE_NOTICE_CROSS_PROVINCE_NOT_CHECKED) {
        printf(" note=cross_province_not_checked");
    }
    if (r->notices & MEDCODE_NOTICE_LIST_DUE_SOON) {
        printf(" note=list_due_soon");
    }
    if (r->notices & MEDCODE_NOTICE_LIST_STALE) {
        printf(" note=list_stale");
    }
    if (r->notices & MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK) {
        printf(" note=replay_local_fallback");
    }
    if (r->detail[0] != '\0') {
        printf(" detail=%s", r->detail); /* the notices in words */
    }
    putchar('\n');
}

/* Sets the replay guard options from MEDCODE_REPLAY and
 * MEDCODE_REPLAY_UNAVAILABLE; 0 on a bad value. The strings stay in the
 * environment, which outlives the options. */
static int set_replay(MedcodeOptions *opts) {
    const char *spec = getenv("MEDCODE_REPLAY");
    const char *unavailable = getenv("MEDCODE_REPLAY_UNAVAILABLE");
    if (spec == NULL || strcmp(spec, "memory") == 0) {
        opts->replay_guard = MEDCODE_REPLAY_MEMORY;
    } else if (strcmp(spec, "none") == 0) {
        opts->replay_guard = MEDCODE_REPLAY_NONE;
    } else if (strncmp(spec, "file:", 5) == 0) {
        opts->replay_guard = MEDCODE_REPLAY_FILE;
        opts->replay_target = spec + 5;
    } else if (strncmp(spec, "redis://", 8) == 0 || strncmp(spec, "redis+cluster://", 16) == 0) {
        opts->replay_guard = MEDCODE_REPLAY_REDIS;
        opts->replay_target = spec;
    } else {
        fprintf(stderr,
                "pos_till: MEDCODE_REPLAY=%s: expected memory, none, file:PATH, "
                "redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...]\n",
                spec);
        return 0;
    }
    if (unavailable != NULL) {
        if (strcmp(unavailable, "fail-closed") == 0) {
            opts->replay_unavailable = MEDCODE_REPLAY_FAIL_CLOSED;
        } else if (strcmp(unavailable, "local-fallback") == 0) {
            opts->replay_unavailable = MEDCODE_REPLAY_LOCAL_FALLBACK;
        } else {
            fprintf(stderr,
                    "pos_till: MEDCODE_REPLAY_UNAVAILABLE=%s: expected fail-closed or "
                    "local-fallback\n",
                    unavailable);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *root_key = getenv("MEDCODE_ROOT_KEY");
    const char *trust = argc > 1 ? argv[1]
                        : root_key != NULL ? "keys/trust.signed.json"
                                           : "keys/trust.json";

    if (medcode_abi_version() != MEDCODE_ABI_VERSION) {
        fprintf(stderr, "pos_till: libmedcode_capi has ABI %u, this program was built for %u\n",
                (unsigned)medcode_abi_version(), (unsigned)MEDCODE_ABI_VERSION);
        return 2;
    }

    uint64_t now = (uint64_t)time(NULL);
    const char *now_env = getenv("MEDCODE_NOW");
    if (now_env != NULL && !parse_u64(now_env, &now)) {
        fprintf(stderr, "pos_till: MEDCODE_NOW=%s is not a number of seconds\n", now_env);
        return 2;
    }

    MedcodeOptions opts;
    medcode_options_init(&opts); /* defaults, and struct_size = sizeof opts */
    opts.root_key_file = root_key;
    opts.revocations_file = getenv("MEDCODE_REVOCATIONS");
    opts.state_path = getenv("MEDCODE_STATE"); /* version 3 of the options */
    if (!set_replay(&opts)) {
        return 2;
    }
    const char *region_env = getenv("MEDCODE_TILL_REGION");
    if (region_env != NULL) {
        uint64_t region = 0;
        if (!parse_u64(region_env, &region) || region > UINT32_MAX) {
            fprintf(stderr, "pos_till: MEDCODE_TILL_REGION=%s is not a region code\n", region_env);
            return 2;
        }
        opts.till_region = (uint32_t)region;
    }

    MedcodeVerifier *verifier = NULL;
    MedcodeReason rc = medcode_verifier_new_from_file(trust, &opts, &verifier);
    if (rc != MEDCODE_REASON_OK) {
        fprintf(stderr, "pos_till: %s (%s)\n", medcode_last_error(), medcode_reason_str(rc));
        return 2;
    }

    char line[LINE_CAP];
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
            int c; /* drop the rest of an overlong line */
            while ((c = getchar()) != EOF && c != '\n') {
            }
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        MedcodeResult result;
        medcode_verify(verifier, line, now, &result);
        print_verdict(&result);
    }

    medcode_verifier_free(verifier);
    return 0;
}
