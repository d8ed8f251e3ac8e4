! example_utils: small helpers of the numbered Fortran examples (not part of
! the nnn library). The examples' CMakeLists compiles this file into each
! example program with that program's flags, so wtime uses the OpenMP clock
! where the program is built with OpenMP.
module example_utils
  !$ use omp_lib, only: omp_get_wtime
  use nnn, only: dp, nnn_error_message
  implicit none
  private
  public :: die, median, wtime

contains

  !> Prints where it failed, ierr and nnn's error message, and stops with exit status 1.
  subroutine die(where, ierr)
    character(len=*), intent(in) :: where
    integer, intent(in) :: ierr
    character(len=512) :: msg
    call nnn_error_message(msg)
    write (*, '(a,i0,a)') where // ' failed: ierr = ', ierr, ': ' // trim(msg)
    stop 1
  end subroutine die

  !> Median of a (the lower of the two middle values for even size(a)).
  real(dp) function median(a)
    real(dp), intent(in) :: a(:)
    real(dp) :: b(size(a)), v
    integer :: i, j
    b = a
    do i = 2, size(b)  ! insertion sort: small arrays
      v = b(i)
      j = i - 1
      do while (j >= 1)
        if (b(j) <= v) exit
        b(j + 1) = b(j)
        j = j - 1
      end do
      b(j + 1) = v
    end do
    median = b((size(b) + 1) / 2)
  end function median

  !> Wall-clock time in s: omp_get_wtime with OpenMP, else system_clock.
  real(dp) function wtime()
    integer(8) :: c, r
    call system_clock(c, r)
    wtime = real(c, dp) / real(r, dp)
    !$ wtime = omp_get_wtime()
  end function wtime

end module example_utils
