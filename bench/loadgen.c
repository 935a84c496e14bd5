#define _GNU_SOURCE
/*
 * Closed-loop HTTPS load generator for the receiver benchmark.
 *
 * Each of --connections threads keeps one TLS keep-alive connection and sends POST requests back
 * to back for --seconds. Bodies come from one template: before each request the thread writes a
 * scrambled request counter into every trace id listed in the offsets file (raw bytes or hex
 * digits), so every request carries fresh, random-looking ids as SDKs make them and no row is
 * skipped as a duplicate; and it moves every time listed there (raw fixed64 or 19 decimal digits)
 * by the same amount, so that the template's earliest time becomes now. With --gzip the patched
 * body is compressed per request (zlib level 1), as an exporter would.
 *
 * Prints one JSON object: requests answered 200, other answers, p50/p99 latency in ms.
 *
 * cc -O2 -o loadgen loadgen.c -lssl -lcrypto -lz -lpthread
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

struct offset { long at; char kind; };

static const char *host = "127.0.0.1", *path = "/v1/traces", *key = "", *content_type = "application/x-protobuf";
static int port = 8443, connections = 1, use_gzip = 0;
static double seconds = 10;
static unsigned char *template_body;
static size_t template_size;
static uint64_t template_earliest;   /* the template's earliest time, which each request moves to now */
static struct offset *offsets;
static size_t offset_count;
static SSL_CTX *ssl_ctx;
static atomic_ullong request_counter = 1;
static atomic_int stop_flag = 0;

struct worker {
    pthread_t thread;
    double *latencies;
    size_t count, capacity;
    unsigned long ok, failed, errors;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned char *read_file(const char *name, size_t *size) {
    FILE *f = fopen(name, "rb");
    if (!f) { perror(name); exit(2); }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*size + 1);
    if (fread(data, 1, *size, f) != *size) { perror(name); exit(2); }
    fclose(f);
    return data;
}

static void load_offsets(const char *name) {
    FILE *f = fopen(name, "r");
    if (!f) { perror(name); exit(2); }
    size_t capacity = 64;
    offsets = malloc(capacity * sizeof *offsets);
    long at; char kind;
    while (fscanf(f, "%ld %c", &at, &kind) == 2) {
        if (offset_count == capacity) offsets = realloc(offsets, (capacity *= 2) * sizeof *offsets);
        offsets[offset_count++] = (struct offset){at, kind};
    }
    fclose(f);
}

/* SplitMix64: a bijection, so distinct counters give distinct ids. */
static uint64_t scramble(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t read_time(const unsigned char *p, char kind) {
    uint64_t value = 0;
    if (kind == 't') for (int b = 7; b >= 0; b--) value = value << 8 | p[b];
    else for (int d = 0; d < 19; d++) value = value * 10 + (uint64_t)(p[d] - '0');
    return value;
}

static uint64_t earliest_time(const unsigned char *template) {
    uint64_t earliest = UINT64_MAX;
    for (size_t i = 0; i < offset_count; i++) {
        char kind = offsets[i].kind;
        if (kind == 't' || kind == 'd') {
            uint64_t value = read_time(template + offsets[i].at, kind);
            if (value < earliest) earliest = value;
        }
    }
    return earliest;
}

static uint64_t now_unix_nano(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* `body` holds a fresh copy of the template; `shift` is added to every time. */
static void patch(unsigned char *body, unsigned long long counter, uint64_t shift) {
    static const char hex[] = "0123456789abcdef";
    uint64_t id = scramble(counter);
    for (size_t i = 0; i < offset_count; i++) {
        unsigned char *p = body + offsets[i].at;
        switch (offsets[i].kind) {
        case 'r':
            for (int b = 0; b < 8; b++) p[b] = (unsigned char)(id >> (56 - 8 * b));
            break;
        case 'h':
            for (int b = 0; b < 16; b++) p[b] = hex[(id >> (60 - 4 * b)) & 0xF];
            break;
        case 't': {
            uint64_t value = read_time(p, 't') + shift;
            for (int b = 0; b < 8; b++) p[b] = (unsigned char)(value >> (8 * b));
            break;
        }
        case 'd': {
            uint64_t value = read_time(p, 'd') + shift;
            for (int d = 18; d >= 0; d--, value /= 10) p[d] = (unsigned char)('0' + value % 10);
            break;
        }
        }
    }
}

static size_t gzip_into(const unsigned char *in, size_t size, unsigned char *out, size_t capacity) {
    z_stream z = {0};
    deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)in;
    z.avail_in = size;
    z.next_out = out;
    z.avail_out = capacity;
    deflate(&z, Z_FINISH);
    size_t produced = z.total_out;
    deflateEnd(&z);
    return produced;
}

static SSL *connect_tls(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { close(fd); return NULL; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL *ssl = SSL_new(ssl_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) { SSL_free(ssl); close(fd); return NULL; }
    return ssl;
}

static void disconnect(SSL *ssl) {
    if (!ssl) return;
    int fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    close(fd);
}

static int write_all(SSL *ssl, const void *data, size_t size) {
    const unsigned char *p = data;
    while (size > 0) {
        int n = SSL_write(ssl, p, size > (1 << 30) ? (1 << 30) : (int)size);
        if (n <= 0) return -1;
        p += n;
        size -= n;
    }
    return 0;
}

/* Reads one response; returns its status, or -1 when the connection failed or closed. */
static int read_response(SSL *ssl, char *buffer, size_t capacity, int *keep_alive) {
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        int n = SSL_read(ssl, buffer + have, capacity - have - 1);
        if (n <= 0) return -1;
        have += n;
        buffer[have] = 0;
        end = strstr(buffer, "\r\n\r\n");
        if (!end && have >= capacity - 1) return -1;
    }
    int status = atoi(buffer + 9);
    long length = 0;
    char *header = strcasestr(buffer, "\r\ncontent-length:");
    if (header && header < end) length = atol(header + 17);
    *keep_alive = !(strcasestr(buffer, "\r\nconnection: close") && strcasestr(buffer, "\r\nconnection: close") < end);
    long body_have = have - (end + 4 - buffer);
    while (body_have < length) {
        int n = SSL_read(ssl, buffer, capacity - 1);
        if (n <= 0) return -1;
        body_have += n;
    }
    return status;
}

static void *run(void *arg) {
    struct worker *w = arg;
    unsigned char *body = malloc(template_size);
    size_t gzip_capacity = compressBound(template_size) + 64;
    unsigned char *zipped = use_gzip ? malloc(gzip_capacity) : NULL;
    char head[1024], response[65536];
    SSL *ssl = NULL;
    while (!atomic_load(&stop_flag)) {
        if (!ssl && !(ssl = connect_tls())) { w->errors++; usleep(10000); continue; }
        memcpy(body, template_body, template_size);
        patch(body, atomic_fetch_add(&request_counter, 1), now_unix_nano() - template_earliest);
        const unsigned char *payload = body;
        size_t size = template_size;
        if (use_gzip) { size = gzip_into(body, template_size, zipped, gzip_capacity); payload = zipped; }
        int head_size = snprintf(head, sizeof head,
            "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%sX-Ingate-Key: %s\r\nContent-Length: %zu\r\n\r\n",
            path, host, content_type, use_gzip ? "Content-Encoding: gzip\r\n" : "", key, size);
        double started = now_ms();
        int keep_alive = 1;
        int status = -1;
        if (write_all(ssl, head, head_size) == 0 && write_all(ssl, payload, size) == 0)
            status = read_response(ssl, response, sizeof response, &keep_alive);
        double elapsed = now_ms() - started;
        if (status < 0) { w->errors++; disconnect(ssl); ssl = NULL; continue; }
        if (status == 200) w->ok++; else w->failed++;
        if (w->count == w->capacity) w->latencies = realloc(w->latencies, (w->capacity = w->capacity * 2 + 1024) * sizeof(double));
        w->latencies[w->count++] = elapsed;
        if (!keep_alive) { disconnect(ssl); ssl = NULL; }
    }
    disconnect(ssl);
    free(body);
    free(zipped);
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *template_name = NULL, *offsets_name = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--key")) key = argv[i + 1];
        else if (!strcmp(argv[i], "--content-type")) content_type = argv[i + 1];
        else if (!strcmp(argv[i], "--gzip")) use_gzip = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--template")) template_name = argv[i + 1];
        else if (!strcmp(argv[i], "--offsets")) offsets_name = argv[i + 1];
        else if (!strcmp(argv[i], "--counter-start")) request_counter = strtoull(argv[i + 1], NULL, 10);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (!template_name || !offsets_name) { fprintf(stderr, "--template and --offsets are required\n"); return 2; }
    template_body = read_file(template_name, &template_size);
    load_offsets(offsets_name);
    template_earliest = earliest_time(template_body);
    ssl_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);   /* loopback only, self-signed */

    struct worker *workers = calloc(connections, sizeof *workers);
    double started = now_ms();
    for (int i = 0; i < connections; i++) pthread_create(&workers[i].thread, NULL, run, &workers[i]);
    usleep((useconds_t)(seconds * 1e6));
    atomic_store(&stop_flag, 1);
    unsigned long ok = 0, failed = 0, errors = 0;
    size_t total = 0;
    for (int i = 0; i < connections; i++) {
        pthread_join(workers[i].thread, NULL);
        ok += workers[i].ok; failed += workers[i].failed; errors += workers[i].errors;
        total += workers[i].count;
    }
    double elapsed = (now_ms() - started) / 1e3;
    double *all = malloc((total + 1) * sizeof(double));
    size_t n = 0;
    for (int i = 0; i < connections; i++) { memcpy(all + n, workers[i].latencies, workers[i].count * sizeof(double)); n += workers[i].count; }
    qsort(all, n, sizeof(double), compare);
    double p50 = n ? all[n / 2] : 0, p99 = n ? all[(size_t)(n * 0.99) < n ? (size_t)(n * 0.99) : n - 1] : 0;
    printf("{\"ok\": %lu, \"failed\": %lu, \"errors\": %lu, \"seconds\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"body_bytes\": %zu, \"next_counter\": %llu}\n",
           ok, failed, errors, elapsed, p50, p99, template_size, (unsigned long long)atomic_load(&request_counter));
    return 0;
}
