#include <cblas.h>

/* LAPACK's symmetric eigen-solver, exported by OpenBLAS (Fortran calling convention). */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);

/* LAPACK's Cholesky solve of a symmetric positive definite system A X = B. */
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info);
