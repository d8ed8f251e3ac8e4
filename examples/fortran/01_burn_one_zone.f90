! Example 1: burn one zone from Fortran, the way a stellar-evolution code's
! burn step does, and time the Fortran call against the bare C call.
!
!   01_burn_one_zone [NETWORK] [T] [RHO] [DT]
!
! NETWORK is a name in network_data/ (default approx21_cr60_plus_co56) or a
! path to a .net file. The zone starts as 60% si28 + 40% s32.
program burn_one_zone
  use, intrinsic :: iso_c_binding, only: c_double, c_long, c_null_ptr
  use nnn
  use nnn_capi, only: c_nnn_burn  ! only for the timing comparison below
  use example_utils, only: die, median
  implicit none

  type(nnn_network_t) :: net
  character(len=512) :: network, arg
  character(len=256) :: msg
  character(len=16) :: iso
  real(dp) :: T, rho, dt, eps_nuc, eps_nu, Ye
  real(dp), allocatable :: X(:), X0(:), Xc(:)
  integer :: ierr, n, i, isi, is, n_steps, k, n_rep
  integer(c_long) :: steps_c
  real(c_double) :: ye_c
  integer(8) :: t0, t1, rate
  real(dp), allocatable :: t_f(:), t_c(:)

  network = 'approx21_cr60_plus_co56'
  T = 3.5e9_dp
  rho = 1e8_dp
  dt = 1.0_dp
  if (command_argument_count() >= 1) call get_command_argument(1, network)
  if (command_argument_count() >= 2) then
    call get_command_argument(2, arg); read (arg, *) T
  end if
  if (command_argument_count() >= 3) then
    call get_command_argument(3, arg); read (arg, *) rho
  end if
  if (command_argument_count() >= 4) then
    call get_command_argument(4, arg); read (arg, *) dt
  end if

  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) call die('nnn_load_network', ierr)
  n = nnn_n_species(net)
  allocate (X(n), X0(n), Xc(n))

  call nnn_isotope_index(net, 'si28', isi, ierr)
  if (ierr /= NNN_OK) call die('nnn_isotope_index', ierr)
  call nnn_isotope_index(net, 's32', is, ierr)
  if (ierr /= NNN_OK) call die('nnn_isotope_index', ierr)
  X0 = 0
  X0(isi) = 0.6_dp
  X0(is) = 0.4_dp

  X = X0
  call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, Ye=Ye, n_steps=n_steps)
  if (ierr /= NNN_OK) call die('nnn_burn', ierr)

  write (*, '(a,i0,a)') 'network: '//trim(network)//' (', n, ' species)'
  write (*, '(a,es12.5,a,es12.5,a,es12.5,a)') 'T = ', T, ' K, rho = ', rho, ' g/cm^3, dt = ', dt, ' s'
  write (*, '(a,es24.16)') 'eps_nuc (erg/g)   = ', eps_nuc
  write (*, '(a,es24.16)') 'eps_nu (erg/g/s)  = ', eps_nu
  write (*, '(a,f18.15)') 'Ye                = ', Ye
  write (*, '(a,i0)') 'n_steps           = ', n_steps
  write (*, '(a,es24.16)') 'sum X - 1         = ', sum(X) - 1
  do i = 1, n
    call nnn_isotope_name(net, i, iso, ierr)
    if (X(i) > 1e-4_dp) write (*, '(2x,a8,es24.16)') iso, X(i)
  end do

  ! A failing call returns a status and a message; it never stops the program.
  X = X0
  call nnn_burn(net, -1.0_dp, rho, X, dt, eps_nuc, eps_nu, ierr)
  call nnn_error_message(msg)
  write (*, '(a,i0,a)') 'bad input: ierr = ', ierr, ', message: '//trim(msg)

  ! Fortran-call overhead: the module's nnn_burn vs the bare C nnn_burn on a
  ! short burn (dt = 1e-12 s), interleaved, same inputs; medians per call.
  n_rep = 1000
  allocate (t_f(n_rep), t_c(n_rep))
  call system_clock(count_rate=rate)
  do k = 1, n_rep
    X = X0
    call system_clock(t0)
    call nnn_burn(net, T, rho, X, 1e-12_dp, eps_nuc, eps_nu, ierr)
    call system_clock(t1)
    t_f(k) = real(t1 - t0, dp) / real(rate, dp) * 1e6_dp
    call system_clock(t0)
    ierr = c_nnn_burn(nnn_network_c_ptr(net), T, rho, X0, 1e-12_dp, c_null_ptr, Xc, eps_nuc, eps_nu, &
        ye_c, steps_c)
    call system_clock(t1)
    t_c(k) = real(t1 - t0, dp) / real(rate, dp) * 1e6_dp
  end do
  write (*, '(a,i0,a,f10.3,a,f10.3,a,f8.3)') 'timing: n = ', n_rep, ', fortran_us = ', median(t_f), &
      ', c_us = ', median(t_c), ', overhead_us = ', median(t_f) - median(t_c)

  call nnn_free_network(net)

end program burn_one_zone
