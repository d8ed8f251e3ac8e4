! Example 4: burn one zone along a prescribed history T(t), rho(t), like
! MESA's one-zone burner or a tracer post-processor (docs/burn_modes.md).
!
!   04_burn_history [NETWORK]
!
! C/O heated 2.5e9 -> 3.5e9 K and compressed 1e8 -> 2e8 g/cm^3 in 2e-5 s,
! then cooling; T and rho are linear in log between samples. Prints T(t),
! eps_nuc and X(c12), X(o16) at each sample, then a bad history (ierr).
program burn_history
  use nnn
  use example_utils, only: die
  implicit none

  type(nnn_network_t) :: net
  character(len=512) :: network
  character(len=256) :: msg
  real(dp) :: time(4), temp(4), rho(4), eps_nuc, eps_nu, T_end
  real(dp), allocatable :: X(:), X0(:)
  integer :: ierr, k, ic, io

  network = 'approx21_cr60_plus_co56'
  if (command_argument_count() >= 1) call get_command_argument(1, network)
  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) call die('nnn_load_network', ierr)
  allocate (X(nnn_n_species(net)), X0(nnn_n_species(net)))
  call nnn_isotope_index(net, 'c12', ic, ierr)
  if (ierr /= NNN_OK) call die('nnn_isotope_index', ierr)
  call nnn_isotope_index(net, 'o16', io, ierr)
  if (ierr /= NNN_OK) call die('nnn_isotope_index', ierr)
  X0 = 0
  X0(ic) = 0.5_dp
  X0(io) = 0.5_dp
  time = [0.0_dp, 2e-5_dp, 6e-5_dp, 2e-4_dp]
  temp = [2.5e9_dp, 3.5e9_dp, 3.0e9_dp, 2.8e9_dp]
  rho = [1e8_dp, 2e8_dp, 1.5e8_dp, 1.2e8_dp]
  write (*, '(a)') '     t (s)        T (K)      eps_nuc (erg/g)   X(c12)     X(o16)'
  do k = 2, 4
    X = X0
    call nnn_burn_history(net, time, temp, rho, X, time(k), eps_nuc, eps_nu, ierr, T_end=T_end)
    if (ierr /= NNN_OK) call die('nnn_burn_history', ierr)
    write (*, '(es11.3,es14.6,es17.6,2es11.3)') time(k), T_end, eps_nuc, X(ic), X(io)
  end do
  X = X0
  temp(3) = -1
  call nnn_burn_history(net, time, temp, rho, X, 1e-4_dp, eps_nuc, eps_nu, ierr)
  call nnn_error_message(msg)
  write (*, '(a,i0,a)') 'bad history: ierr = ', ierr, ', message: ' // trim(msg)
  call nnn_free_network(net)
end program burn_history
