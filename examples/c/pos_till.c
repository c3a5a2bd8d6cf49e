/* pos_till: a minimal point-of-sale till on the medcode C ABI.
 *
 * Loads a trust list (default keys/trust.json, the DEMO list), reads one
 * scanned code per line on stdin (as a keyboard-style barcode scanner types
 * it) and prints one verdict line per code:
 *
 *   accepted insured=<id> name=<masked> region=<code> status=<s> scheme=<s> expires_at=<unix>
 *   rejected reason=<reason> code=<n> detail=<plain words>
 *
 * Usage: pos_till [TRUST_JSON] < scanned-lines
 * Environment: MEDCODE_NOW=<unix seconds> checks at that instant instead of
 * the clock (for reproducible runs); MEDCODE_TILL_REGION=<6 digits> sets the
 * till's region. Exit 0 when every line was checked, 2 on a setup error.
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
    putchar('\n');
}

int main(int argc, char **argv) {
    const char *trust = argc > 1 ? argv[1] : "keys/trust.json";

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
    medcode_options_init(&opts);
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
