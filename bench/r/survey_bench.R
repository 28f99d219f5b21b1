# R survey side of the benchmark: one workload at one size, in a fresh Rscript process.
#
#   Rscript bench/r/survey_bench.R WORKLOAD DATA.csv MARGINS.csv ALT_MARGINS.csv REPEATS OUTPUT.json [REPLICATES [BUDGET]]
#
# The data file is the benchmark's synthetic survey written once by run_benchmark.py (reading it
# is not timed; string columns stay character). Each timed call starts from that data.frame, so
# building the design counts. Protocol as in bench/harness.py: the first call (untimed) is the
# warm-up and its peak memory is measured (peak RSS mark reset through /proc/self/clear_refs);
# then REPEATS timed calls (fewer, at least one, when they would take more than BUDGET seconds),
# the best wall time is reported.
#
# Calls (survey package):
#   design   svydesign(ids = ~psu, strata = ~district, weights = ~weight, data = frame, nest = TRUE)
#   overall  svyciprop(~satisfied, design, method = "logit")
#   domains  svyby(~satisfied, ~district + mode, design, svyciprop, method = "logit", vartype = c("se", "ci"))
#   bootstrap as.svrepdesign(design, type = "bootstrap", replicates = 200); svymean(~satisfied, replicate_design)
#   rake     rake(design, list(~district, ~sex, ~age_group), population margins,
#                 control = list(maxit = 1000, epsilon = 1e-6))   # epsilon < 1: relative to the weight total
#   rerake   the same on a design already built, with the alternative margins
#   logistic svyglm(satisfied ~ mode + sex + age_group + wait_days + trust + contacts, design,
#                   family = quasibinomial())      # on the model survey (three numeric covariates more)
#   chisq    svychisq(~district + satisfied, design)   # Rao-Scott second-order F, 12 x 2 = 24 cells
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
workload <- args[[1]]
data_path <- args[[2]]
margins_path <- args[[3]]
alternative_path <- args[[4]]
repeats <- as.integer(args[[5]])
output_path <- args[[6]]
replicates <- if (length(args) >= 7) as.integer(args[[7]]) else 200L
budget <- if (length(args) >= 8) as.numeric(args[[8]]) else Inf

status_kib <- function(field) {
  lines <- readLines("/proc/self/status")
  line <- grep(paste0("^", field, ":"), lines, value = TRUE)
  if (length(line) == 0) return(NA_real_)
  as.numeric(strsplit(trimws(sub(paste0(field, ":"), "", line)), "\\s+")[[1]][1])
}

reset_peak <- function() {
  ok <- tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE, warning = function(w) FALSE)
  ok
}

frame <- read.csv(data_path, colClasses = c(district = "character", psu = "character", mode = "character",
                                            sex = "character", age_group = "character", satisfied = "integer",
                                            weight = "numeric"))

read_margins <- function(path) {
  long <- read.csv(path, colClasses = c("character", "character", "numeric"))
  lapply(split(long, factor(long$variable, levels = unique(long$variable))), function(part) {
    margin <- data.frame(part$category, part$population, stringsAsFactors = FALSE)
    names(margin) <- c(part$variable[1], "Freq")
    margin
  })
}
margins <- read_margins(margins_path)
alternative <- read_margins(alternative_path)
sample_margins <- lapply(names(margins), function(variable) as.formula(paste("~", variable)))

make_design <- function() {
  svydesign(ids = ~psu, strata = ~district, weights = ~weight, data = frame, nest = TRUE)
}

rake_design <- function(design, population) {
  rake(design, sample_margins, unname(population), control = list(maxit = 1000, epsilon = 1e-6, verbose = FALSE))
}

prepared <- NULL
if (workload == "rerake") {
  prepared <- make_design()
  invisible(rake_design(prepared, margins))
}

run <- switch(workload,
  overall = function() svyciprop(~satisfied, make_design(), method = "logit"),
  domains = function() svyby(~satisfied, ~district + mode, make_design(), svyciprop, method = "logit",
                             vartype = c("se", "ci")),
  bootstrap = function() {
    set.seed(1)
    replicate_design <- as.svrepdesign(make_design(), type = "bootstrap", replicates = replicates)
    svymean(~satisfied, replicate_design)
  },
  rake = function() rake_design(make_design(), margins),
  rerake = function() rake_design(prepared, alternative),
  logistic = function() svyglm(satisfied ~ mode + sex + age_group + wait_days + trust + contacts, make_design(),
                               family = quasibinomial()),
  chisq = function() svychisq(~district + satisfied, make_design()),
  stop("unknown workload ", workload)
)

extract <- function(result) {
  if (workload == "overall") {
    ci <- attr(result, "ci")
    list(estimate = as.numeric(result), std_error = sqrt(as.numeric(attr(result, "var"))),
         ci_low = as.numeric(ci[1]), ci_high = as.numeric(ci[2]))
  } else if (workload == "domains") {
    table <- as.data.frame(result)
    names(table) <- c("district", "mode", "estimate", "std_error", "ci_low", "ci_high")
    list(domains = table)
  } else if (workload == "logistic") {
    list(terms = data.frame(term = names(coef(result)), estimate = unname(coef(result)),
                            std_error = unname(SE(result)), stringsAsFactors = FALSE))
  } else if (workload == "chisq") {
    list(statistic = unname(result$statistic), p_value = unname(result$p.value), ndf = unname(result$parameter[1]))
  } else if (workload == "bootstrap") {
    list(estimate = as.numeric(coef(result)), std_error = as.numeric(SE(result)))
  } else {
    list(weights = as.numeric(weights(result)))
  }
}

invisible(gc())
baseline <- status_kib("VmRSS")
can_reset <- reset_peak()
start <- proc.time()[["elapsed"]]
result <- run()
first_seconds <- proc.time()[["elapsed"]] - start
peak <- if (can_reset) status_kib("VmHWM") else NA_real_
timed <- if (first_seconds * repeats <= budget) max(1L, repeats) else max(1L, floor(budget / max(first_seconds, 1e-9)))
seconds <- numeric(0)
for (i in seq_len(timed)) {
  invisible(gc())
  start <- proc.time()[["elapsed"]]
  invisible(run())
  seconds <- c(seconds, proc.time()[["elapsed"]] - start)
}
values <- extract(result)
record <- list(
  tool = "R survey", workload = workload, rows = nrow(frame), status = "ok",
  version = paste0("survey ", as.character(packageVersion("survey")), ", ", R.version.string),
  best_seconds = min(seconds), seconds = I(seconds), first_call_seconds = first_seconds,
  peak_bytes = if (is.na(peak)) NULL else max(0, (peak - baseline) * 1024)
)
if (!is.null(values$weights)) {
  weights_path <- sub("\\.json$", ".weights.csv", output_path)
  write.csv(data.frame(weight = sprintf("%.17g", values$weights)), weights_path, row.names = FALSE, quote = FALSE)
  values <- list(weights_file = weights_path, weight_total = sum(values$weights))
}
record$values <- values
writeLines(toJSON(record, auto_unbox = TRUE, digits = NA, dataframe = "rows"), output_path)
