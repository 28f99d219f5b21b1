# Extra R survey 4.1.1 reference cases for models and tests (issue 16): the kinds of the published set on the
# designs it leaves out (two-stage, calibrated, replicate domains and NAs, mse, nhanes, factor-by-factor terms).
# Usage: Rscript make_cases.R <r_survey_models/data> <r_survey/data> <output folder>
# Writes cases.json and meta.json (schema of ../r_survey/README.md) and data/apiclus2_jk1_analysis.csv.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
models <- args[1]; base <- args[2]; out <- args[3]
rd <- function(dir, f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
apistrat <- rd(models, "apistrat_models.csv"); apiclus1 <- rd(models, "apiclus1_models.csv")
apiclus2 <- rd(models, "apiclus2_models.csv"); nhanes <- rd(models, "nhanes.csv")
nhanes$agecat <- factor(nhanes$agecat, levels = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"))
jk1 <- rd(base, "apiclus1_jk1_repw.csv")
pop.types <- data.frame(stype = c("E","H","M"), Freq = c(4421, 755, 1018))
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2_nofpc <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
dnhanes <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
dclus1_cal <- calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069))
rclus1 <- as.svrepdesign(dclus1)
stopifnot(max(abs(weights(rclus1, "analysis") - apiclus1$pw * as.matrix(jk1[, grep("^jk1_", names(jk1))]))) < 1e-8)
rclus1_cal <- calibrate(rclus1, ~stype + api99, c(pop.totals, api99 = 3914069))
rclus2 <- as.svrepdesign(dclus2)
analysis <- weights(rclus2, "analysis"); colnames(analysis) <- paste0("jk1a_", seq_len(ncol(analysis)))
dir.create(file.path(out, "data"), showWarnings = FALSE)
write.csv(data.frame(snum = apiclus2$snum, analysis), file.path(out, "data", "apiclus2_jk1_analysis.csv"), row.names = FALSE)

lin <- function(data, ids = list(), strata = NULL, weights = NULL, fpc = list(), nest = FALSE, robj, rcode, degf)
  list(kind = "linearization", data = data, ids = ids, strata = strata, weights = weights, fpc = fpc,
       fpc_type = if (length(fpc)) "population_size" else NULL, nest = nest, r_object = robj, r_code = rcode, degf = degf)
cal_adj <- list(type = "calibrate", formula = "~stype + api99",
                population = list(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069), calfun = "linear")
D <- list(
  dstrat = lin("apistrat_models.csv", list(), "stype", "pw", list("fpc"), robj = "dstrat", rcode = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)", degf = degf(dstrat)),
  dclus1 = lin("apiclus1_models.csv", list("dnum"), NULL, "pw", list("fpc"), robj = "dclus1", rcode = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)", degf = degf(dclus1)),
  dclus2 = lin("apiclus2_models.csv", list("dnum", "snum"), NULL, NULL, list("fpc1", "fpc2"), robj = "dclus2", rcode = "svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)", degf = degf(dclus2)),
  dclus2_nofpc = lin("apiclus2_models.csv", list("dnum", "snum"), NULL, "pw", list(), robj = "dclus2_nofpc", rcode = "svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)", degf = degf(dclus2_nofpc)),
  dnhanes = lin("nhanes.csv", list("SDMVPSU"), "SDMVSTRA", "WTMEC2YR", list(), TRUE, robj = "dnhanes", rcode = "svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)", degf = degf(dnhanes))
)
D$dclus1_cal <- modifyList(D$dclus1, list(adjustments = list(cal_adj), r_object = "dclus1_cal", r_code = "calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069))"))
D$rclus1 <- list(kind = "replicate", data = "apiclus1_models.csv", type = "JK1", weights = "pw", repweights_file = "apiclus1_jk1_repw.csv",
                 repweights_prefix = "jk1_", combined_weights = FALSE, scale = 14/15 * (1 - 15/757), rscales = rep(1, 15), mse = FALSE,
                 r_object = "rclus1", r_code = "as.svrepdesign(dclus1)", degf = degf(rclus1))
D$rclus1_cal <- modifyList(D$rclus1, list(adjustments = list(cal_adj), r_object = "rclus1_cal", r_code = "calibrate(rclus1, ~stype + api99, c(pop.totals, api99 = 3914069))"))
D$rclus2 <- list(kind = "replicate", data = "apiclus2_models.csv", type = "JK1", weights = "pw", repweights_file = "apiclus2_jk1_analysis.csv",
                 repweights_prefix = "jk1a_", combined_weights = TRUE, scale = rclus2$scale, rscales = rclus2$rscales, mse = FALSE,
                 r_object = "rclus2", r_code = "as.svrepdesign(dclus2)", degf = degf(rclus2))
with_domain <- function(d, cond, robj) modifyList(d, list(domain = cond, r_object = robj))

num <- function(x) { x <- as.numeric(x); ifelse(is.finite(x) | is.na(x), x, ifelse(x > 0, "Inf", "-Inf")) }
cases <- list()
add <- function(id, group, design_spec, estimator, r_call, results, tol = list(rel = 1e-6, abs = 1e-10), notes = "")
  cases[[length(cases) + 1]] <<- list(id = id, group = group, dataset = design_spec$data, design = design_spec,
                                      estimator = estimator, r_call = r_call, results = lapply(results, num),
                                      tolerance = tol, notes = notes)
glm_case <- function(id, design, spec, formula, family, primary, levels = NULL) {
  fam <- if (family == "gaussian") gaussian() else quasibinomial()
  m <- do.call(svyglm, list(formula = as.formula(formula), design = design, family = fam, control = glm.control(epsilon = 1e-14, maxit = 100)))
  s <- summary(m)$coefficients; ci <- confint(m)
  r <- list(estimate = coef(m)[[primary]], se = SE(m)[[primary]])
  for (t in names(coef(m))) {
    r[[paste0("coef:", t)]] <- coef(m)[[t]]; r[[paste0("se:", t)]] <- SE(m)[[t]]
    r[[paste0("t:", t)]] <- s[t, 3]; r[[paste0("p:", t)]] <- s[t, 4]
    r[[paste0("ci_low:", t)]] <- ci[t, 1]; r[[paste0("ci_high:", t)]] <- ci[t, 2]
    if (family != "gaussian") { r[[paste0("or:", t)]] <- exp(coef(m)[[t]]); r[[paste0("or_ci_low:", t)]] <- exp(ci[t, 1]); r[[paste0("or_ci_high:", t)]] <- exp(ci[t, 2]) }
  }
  r$df <- m$df.residual; r$design_df <- degf(design); r$design_df_used <- degf(m$survey.design)
  r$n_coef <- length(coef(m)); r$n_used <- length(m$y)
  if (!inherits(m, "svrepglm")) r$dispersion <- as.numeric(summary(m)$dispersion)
  est <- list(`function` = "svyglm", formula = formula, family = family, terms = names(coef(m)), primary_term = primary)
  if (!is.null(levels)) est$factor_levels <- levels
  add(id, paste0("svyglm_", family), spec, est, sprintf("svyglm(%s, design = %s, family = %s, control = glm.control(epsilon = 1e-14))", formula, spec$r_object, family), r,
      notes = "fitted with epsilon 1e-14 (fully converged IRLS)")
}
dclus2_ps <- postStratify(dclus2, ~stype, pop.types)
D$dclus2_ps <- modifyList(D$dclus2, list(adjustments = list(list(type = "postStratify", by = list("stype"), population = list(E = 4421, H = 755, M = 1018))),
                                          r_object = "dclus2_ps", r_code = "postStratify(dclus2, ~stype, pop.types)"))
rclus1_mse <- as.svrepdesign(dclus1, mse = TRUE)
D$rclus1_mse <- modifyList(D$rclus1, list(mse = TRUE, r_object = "rclus1_mse", r_code = "as.svrepdesign(dclus1, mse = TRUE)"))
glm_case("x_glm_logit_clus2ps_na_enroll", dclus2_ps, D$dclus2_ps, "sw ~ enroll + ell", "quasibinomial", "enroll")
glm_case("x_glm_gauss_clus2ps_na_enroll_domain", subset(dclus2_ps, stype != "M"), with_domain(D$dclus2_ps, "stype != 'M'", "subset(dclus2_ps, stype != 'M')"), "api00 ~ enroll + meals", "gaussian", "enroll")
glm_case("x_glm_logit_rclus1_mse", rclus1_mse, D$rclus1_mse, "sw ~ ell + meals + stype", "quasibinomial", "meals")
glm_case("x_glm_gauss_clus2", dclus2, D$dclus2, "api00 ~ ell + meals + stype", "gaussian", "meals")
glm_case("x_glm_gauss_clus2_nofpc", dclus2_nofpc, D$dclus2_nofpc, "api00 ~ ell + meals + stype", "gaussian", "meals")
glm_case("x_glm_gauss_clus2_na_enroll", dclus2, D$dclus2, "api00 ~ enroll + meals", "gaussian", "enroll")
glm_case("x_glm_logit_clus2_na_enroll", dclus2, D$dclus2, "sw ~ enroll + ell", "quasibinomial", "enroll")
glm_case("x_glm_gauss_rclus2_na_enroll", rclus2, D$rclus2, "api00 ~ enroll + meals", "gaussian", "enroll")
glm_case("x_glm_gauss_cal", dclus1_cal, D$dclus1_cal, "api00 ~ ell + meals + mobility", "gaussian", "ell")
glm_case("x_glm_logit_cal", dclus1_cal, D$dclus1_cal, "sw ~ ell + meals", "quasibinomial", "meals")
glm_case("x_glm_gauss_cal_domain", subset(dclus1_cal, stype != "H"), with_domain(D$dclus1_cal, "stype != 'H'", "subset(dclus1_cal, stype != 'H')"), "api00 ~ ell + meals", "gaussian", "ell")
glm_case("x_glm_gauss_repcal", rclus1_cal, D$rclus1_cal, "api00 ~ ell + meals + mobility", "gaussian", "ell")
glm_case("x_glm_logit_rep_domain", subset(rclus1, stype == "E"), with_domain(D$rclus1, "stype == 'E'", "subset(rclus1, stype == 'E')"), "hi_api ~ ell + meals", "quasibinomial", "meals")
glm_case("x_glm_gauss_strat_stypeXawards", dstrat, D$dstrat, "api00 ~ stype * awards", "gaussian", "stypeH:awardsYes", list(stype = c("E","H","M"), awards = c("No","Yes")))
glm_case("x_glm_gauss_strat_ell_colon_stype", dstrat, D$dstrat, "api00 ~ ell:stype", "gaussian", "ell:stypeH", list(stype = c("E","H","M")))
glm_case("x_glm_gauss_strat_no_intercept", dstrat, D$dstrat, "api00 ~ stype + ell - 1", "gaussian", "stypeE", list(stype = c("E","H","M")))
glm_case("x_glm_logit_nhanes_ageXsex", dnhanes, D$dnhanes, "HI_CHOL ~ agecat * factor(RIAGENDR)", "quasibinomial", "agecat(19,39]:factor(RIAGENDR)2", list(agecat = levels(nhanes$agecat)))
glm_case("x_glm_logit_nhanes_race", dnhanes, D$dnhanes, "HI_CHOL ~ factor(race) + RIAGENDR", "quasibinomial", "factor(race)2")

chisq_case <- function(id, design, spec, a, b, statistic) {
  f <- as.formula(paste("~", a, "+", b))
  t <- svychisq(f, design, statistic = statistic)
  r <- list(estimate = unname(t$statistic), statistic = unname(t$statistic), p_value = unname(t$p.value))
  if (statistic %in% c("F", "Wald", "adjWald")) { r$ndf <- unname(t$parameter[1]); r$ddf <- unname(t$parameter[2]) }
  if (statistic == "Chisq") r$df <- unname(t$parameter[1])
  add(id, "svychisq", spec, list(`function` = "svychisq", formula = paste("~", a, "+", b), statistic = statistic, na_rm = TRUE),
      sprintf("svychisq(~%s + %s, %s, statistic = \"%s\")", a, b, spec$r_object, statistic), r)
}
for (s in c("F", "Chisq", "Wald", "adjWald", "saddlepoint")) chisq_case(paste0("x_chisq_clus2_", s), dclus2, D$dclus2, "stype", "sch.wide", s)
for (s in c("F", "saddlepoint", "Chisq")) chisq_case(paste0("x_chisq_nhanes_hichol_race_", s), dnhanes, D$dnhanes, "HI_CHOL", "race", s)
for (s in c("F", "Wald", "saddlepoint")) chisq_case(paste0("x_chisq_nhanes_agecat_race_", s), dnhanes, D$dnhanes, "agecat", "race", s)
for (s in c("F", "saddlepoint")) chisq_case(paste0("x_chisq_rclus1_", s), rclus1, D$rclus1, "stype", "awards", s)
for (s in c("F", "Wald")) chisq_case(paste0("x_chisq_cal_", s), dclus1_cal, D$dclus1_cal, "stype", "sch.wide", s)
for (s in c("F", "Chisq", "adjWald")) chisq_case(paste0("x_chisq_repcal_", s), rclus1_cal, D$rclus1_cal, "stype", "sch.wide", s)
chisq_case("x_chisq_clus1_domain_F", subset(dclus1, sch.wide == "Yes"), with_domain(D$dclus1, "sch.wide == 'Yes'", "subset(dclus1, sch.wide == 'Yes')"), "stype", "awards", "F")
chisq_case("x_chisq_strat_hiapi_awards_saddlepoint", dstrat, D$dstrat, "hi_api", "awards", "saddlepoint")

ttest_case <- function(id, design, spec, y, g) {
  t <- svyttest(as.formula(paste(y, "~", g)), design)
  r <- list(estimate = unname(t$estimate), se = unname(t$estimate / t$statistic), statistic = unname(t$statistic),
            df = unname(t$parameter), p_value = unname(t$p.value), ci_low = t$conf.int[1], ci_high = t$conf.int[2])
  add(id, "svyttest", spec, list(`function` = "svyttest", formula = paste(y, "~", g), level = 0.95),
      sprintf("svyttest(%s ~ %s, %s)", y, g, spec$r_object), r)
}
ttest_case("x_ttest_clus2_schwide", dclus2, D$dclus2, "api00", "sch.wide")
ttest_case("x_ttest_nhanes_sex", dnhanes, D$dnhanes, "HI_CHOL", "RIAGENDR")
ttest_case("x_ttest_cal_awards", dclus1_cal, D$dclus1_cal, "api00", "awards")
ttest_case("x_ttest_repcal_awards", rclus1_cal, D$rclus1_cal, "api00", "awards")
ttest_case("x_ttest_clus2_na_enroll", dclus2, D$dclus2, "enroll", "sch.wide")

contrast_case <- function(id, design, spec, y, by, contrast, subset_text = NULL) {
  b <- svyby(as.formula(paste0("~", y)), as.formula(paste0("~", by)), design, svymean, covmat = TRUE)
  con <- if (is.character(contrast)) svycontrast(b, parse(text = contrast)[[1]]) else svycontrast(b, contrast)
  V <- vcov(b); lv <- as.character(b[[by]])
  r <- list(estimate = unname(coef(con)), se = unname(SE(con)), ci_low = confint(con)[1], ci_high = confint(con)[2])
  for (i in seq_along(lv)) { r[[paste0("estimate_", lv[i])]] <- unname(coef(b)[i]); r[[paste0("se_", lv[i])]] <- sqrt(V[i, i])
    for (j in seq_along(lv)) if (i != j) r[[paste0("cov_", lv[i], "_", lv[j])]] <- V[i, j] }
  by_call <- list(`function` = "svyby", variable = y, by = by, FUN = "svymean", covmat = TRUE)
  if (!is.null(subset_text)) by_call$design_subset <- subset_text
  est <- list(`function` = "svycontrast", by_call = by_call)
  if (is.character(contrast)) est$expression <- contrast else est$contrast <- as.list(contrast)
  add(id, "svycontrast", spec, est, sprintf("svycontrast(svyby(~%s, ~%s, %s, svymean, covmat = TRUE), %s)", y, by, spec$r_object, deparse(contrast)), r,
      tol = list(rel = 1e-6, abs = 1e-12))
}
contrast_case("x_contrast_repcal_EminusM", rclus1_cal, D$rclus1_cal, "api00", "stype", c(E = 1, M = -1))
contrast_case("x_contrast_rclus1_EoverM", rclus1, D$rclus1, "sw", "stype", "`E` / `M`")
contrast_case("x_contrast_clus2_HminusE", dclus2, D$dclus2, "api00", "stype", c(E = -1, H = 1))
contrast_case("x_contrast_nhanes_race1minus3", subset(dnhanes, !is.na(HI_CHOL)), D$dnhanes, "HI_CHOL", "race", c(`1` = 1, `3` = -1), "!is.na(HI_CHOL)")
contrast_case("x_contrast_strat_mean_of_EH_minus_M", dstrat, D$dstrat, "api00", "stype", c(E = 0.5, H = 0.5, M = -1))

term_case <- function(id, design, spec, formula, family, terms) {
  fam <- if (family == "gaussian") gaussian() else quasibinomial()
  m <- do.call(svyglm, list(formula = as.formula(formula), design = design, family = fam, control = glm.control(epsilon = 1e-14, maxit = 100)))
  t <- regTermTest(m, as.formula(paste("~", paste(terms, collapse = " + "))), method = "Wald")
  r <- list(estimate = unname(t$Ftest), statistic = unname(t$Ftest), ndf = unname(t$df), ddf = unname(t$ddf),
            chi_square = unname(t$Ftest) * unname(t$df), p_value = unname(t$p))
  add(id, "regTermTest", spec, list(`function` = "regTermTest", formula = formula, family = family, test_terms = terms),
      sprintf("regTermTest(svyglm(%s, %s, family = %s), ~%s)", formula, spec$r_object, family, paste(terms, collapse = " + ")), r)
}
term_case("x_term_clus1_stype", dclus1, D$dclus1, "api00 ~ ell + stype", "gaussian", "stype")
term_case("x_term_nhanes_agecat", dnhanes, D$dnhanes, "HI_CHOL ~ agecat + factor(RIAGENDR)", "quasibinomial", "agecat")
term_case("x_term_rclus1_stype_ell", rclus1, D$rclus1, "sw ~ ell + stype", "quasibinomial", c("ell", "stype"))
term_case("x_term_clus2_interaction", dclus2, D$dclus2, "api00 ~ ell * stype", "gaussian", "ell:stype")

alpha_case <- function(id, design, spec, items) {
  f <- as.formula(paste("~", paste(items, collapse = " + ")))
  a <- svycralpha(f, design, na.rm = TRUE)
  add(id, "svycralpha", spec, list(`function` = "svycralpha", formula = paste("~", paste(items, collapse = " + "))),
      sprintf("svycralpha(~%s, %s, na.rm = TRUE)", paste(items, collapse = " + "), spec$r_object), list(estimate = unname(a)),
      notes = "point estimate only (svycralpha has no standard error)")
}
alpha_case("x_alpha_clus1_ell_meals_mobility", dclus1, D$dclus1, c("ell", "meals", "mobility"))
alpha_case("x_alpha_strat_api", dstrat, D$dstrat, c("api00", "api99"))
alpha_case("x_alpha_cal_scores", dclus1_cal, D$dclus1_cal, c("api00", "api99", "meals"))
alpha_case("x_alpha_clus2_na_enroll", dclus2, D$dclus2, c("enroll", "api00", "api99"))

meta <- list(generated = format(Sys.time(), tz = "UTC", usetz = TRUE), r_version = R.version.string,
             survey_version = as.character(packageVersion("survey")), n_cases = length(cases))
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(out, "cases.json"))
writeLines(toJSON(meta, auto_unbox = TRUE, pretty = TRUE), file.path(out, "meta.json"))
cat(length(cases), "cases\n")
